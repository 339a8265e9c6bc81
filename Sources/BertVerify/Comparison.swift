import Foundation

/// How a tap's errors are judged (Polygraphy's comparator semantics, compare.py): an element fails
/// only when |a - e| > atol **and** |a - e| > rtol·|e|. `stat` says how many may fail.
public struct Tolerance: Sendable, Equatable, Codable {
    public enum Stat: String, Sendable, CaseIterable, Codable {
        /// Every element must pass (Polygraphy's elementwise check).
        case max
        /// The mean over elements of their excess error (|a - e| where it is over rtol·|e|, else 0)
        /// must be at most atol.
        case mean
        /// At least half of the elements must pass.
        case median
        /// At least 99% of the elements must pass.
        case p99
    }

    public var atol: Double
    public var rtol: Double
    public var stat: Stat

    /// Defaults for an f32 run against an f32 reference: differences come only from summation order
    /// and the polynomial erf/exp (about 1e-6 relative), which grow through layers to ~1e-5 on
    /// values of order 1–10 (MiniLM's worst tap: 9.5e-6); 1e-4 leaves a margin of 10× while still
    /// catching any real mistake (a wrong op is off by 1e-2 or more).
    public static let f32 = Tolerance(atol: 1e-4, rtol: 1e-4, stat: .max)

    public init(atol: Double, rtol: Double, stat: Stat = .max) {
        self.atol = atol
        self.rtol = rtol
        self.stat = stat
    }
}

/// How one recorded tensor compares with bertkit's own, over the positions where the attention
/// mask is 1 (for probabilities: query and key both real).
public struct TapComparison: Sendable, Codable {
    /// Module path (`encoder.layer.0.attention`).
    public let tap: String
    /// The name in the golden file (may be an alias such as `hidden_states.1`).
    public let goldenName: String
    public let shape: [Int]
    /// Elements compared (masked positions left out).
    public let compared: Int
    public let maxAbsError: Double
    public let meanAbsError: Double
    /// Median and 99th-percentile (nearest rank) absolute error.
    public let medianAbsError: Double
    public let p99AbsError: Double
    /// Normalised mean squared error, 10·log10(Σ(a−e)² / Σe²) in dB (−inf when identical; lower is
    /// closer: −60 dB is 0.1% of the signal's energy).
    public let nmseDB: Double
    /// Largest |a - e| / |e| over elements with e ≠ 0.
    public let maxRelError: Double
    /// Cosine similarity of the compared elements (1 for identical directions).
    public let cosine: Double
    /// Index (in `shape`) of the largest absolute error, with both values there.
    public let worstIndex: [Int]
    public let worstActual: Float
    public let worstExpected: Float
    public let nanActual: Int
    public let infActual: Int
    public let nanExpected: Int
    public let infExpected: Int
    /// Elements failing the elementwise rule.
    public let failing: Int
    /// The smallest atol (at the given rtol) that would have passed.
    public let requiredAtol: Double
    /// The smallest rtol (at the given atol) that would have passed; nil for `--stat mean`.
    public let requiredRtol: Double?
    public let passed: Bool

    /// Compares `actual` with `expected` (same shape). `include(i)` says whether flat element i is
    /// compared.
    public init(tap: String, goldenName: String, shape: [Int], actual: UnsafeBufferPointer<Float>, expected: [Float],
                tolerance tol: Tolerance, include: (Int) -> Bool) {
        precondition(actual.count == expected.count)
        self.tap = tap
        self.goldenName = goldenName
        self.shape = shape
        var n = 0, sumAbs = 0.0, maxAbs = 0.0, maxRel = 0.0, worst = -1
        var dot = 0.0, na = 0.0, ne = 0.0
        var nanA = 0, infA = 0, nanE = 0, infE = 0, failing = 0
        var excessAbs: [Double] = [], excessRel: [Double] = [], absErrors: [Double] = []
        var err2 = 0.0
        excessAbs.reserveCapacity(expected.count)
        absErrors.reserveCapacity(expected.count)
        excessRel.reserveCapacity(expected.count)
        for i in 0..<expected.count where include(i) {
            let a = Double(actual[i]), e = Double(expected[i])
            n += 1
            if a.isNaN { nanA += 1 } else if a.isInfinite { infA += 1 }
            if e.isNaN { nanE += 1 } else if e.isInfinite { infE += 1 }
            let d: Double
            if a.isFinite && e.isFinite {
                d = abs(a - e)
                dot += a * e
                na += a * a
                ne += e * e
            } else {
                // The same non-finite value on both sides matches; anything else is infinitely off.
                d = (a.isNaN && e.isNaN) || a == e ? 0 : .infinity
            }
            sumAbs += d
            absErrors.append(d)
            if d.isFinite { err2 += d * d }
            if d > maxAbs || worst < 0 { maxAbs = d; worst = i }
            let rel = e != 0 ? d / abs(e) : (d == 0 ? 0 : .infinity)
            if e != 0, e.isFinite { maxRel = max(maxRel, rel) }
            let overRel = d > tol.rtol * abs(e) || d.isInfinite
            let overAbs = d > tol.atol
            if overRel && overAbs { failing += 1 }
            excessAbs.append(overRel ? d : 0)
            excessRel.append(overAbs ? rel : 0)
        }
        compared = n
        maxAbsError = maxAbs
        meanAbsError = n > 0 ? sumAbs / Double(n) : 0
        maxRelError = maxRel
        medianAbsError = Self.statistic(.median, &absErrors)
        p99AbsError = Self.statistic(.p99, &absErrors)
        nmseDB = err2 == 0 ? -.infinity : (ne == 0 ? .infinity : 10 * log10(err2 / ne))
        cosine = na == 0 && ne == 0 ? 1 : (na == 0 || ne == 0 ? 0 : dot / (na.squareRoot() * ne.squareRoot()))
        worstIndex = worst >= 0 ? Self.unflatten(worst, shape) : []
        worstActual = worst >= 0 ? actual[worst] : 0
        worstExpected = worst >= 0 ? expected[worst] : 0
        nanActual = nanA
        infActual = infA
        nanExpected = nanE
        infExpected = infE
        self.failing = failing
        requiredAtol = Self.statistic(tol.stat, &excessAbs)
        requiredRtol = tol.stat == .mean ? nil : Self.statistic(tol.stat, &excessRel)
        passed = requiredAtol <= tol.atol
    }

    /// max, mean, or the nearest-rank median / 99th percentile.
    static func statistic(_ s: Tolerance.Stat, _ v: inout [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        switch s {
        case .max: return v.max()!
        case .mean: return v.reduce(0, +) / Double(v.count)
        case .median, .p99:
            let q = s == .median ? 0.5 : 0.99
            v.sort()
            return v[max(0, Int((q * Double(v.count)).rounded(.up)) - 1)]
        }
    }

    static func unflatten(_ i: Int, _ shape: [Int]) -> [Int] {
        var r = i, out = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
            out[d] = r % shape[d]
            r /= shape[d]
        }
        return out
    }
}
