import Foundation

/// Axis ticks at "nice" numbers: 1, 2 or 5 times a power of ten (Heckbert, "Nice numbers for graph
/// labels", Graphics Gems, 1990), the rule every bertkit chart uses. The axis is widened to whole
/// ticks, so the data always lies between the first and the last.
public struct NiceScale: Sendable, Equatable {
    /// The axis ends (the first and the last tick).
    public let lo: Double
    public let hi: Double
    public let step: Double
    /// Tick values, lo through hi.
    public let ticks: [Double]
    /// Decimals that tell every tick apart (0 for steps ≥ 1).
    public let decimals: Int

    /// The nice number nearest `x` (`round`) or the smallest one ≥ `x`.
    public static func nice(_ x: Double, round: Bool) -> Double {
        let e = floor(log10(x)), f = x / pow(10, e)
        let n: Double
        if round {
            n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10
        } else {
            n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
        }
        return n * pow(10, e)
    }

    /// About `count` ticks covering lo...hi (a single value, or none finite, gets an axis around it),
    /// `minStep` apart at least (1 for steps, which are whole).
    public init(lo: Double, hi: Double, count: Int = 5, minStep: Double = 0) {
        var a = lo.isFinite ? lo : 0, b = hi.isFinite ? hi : 1
        if a > b { swap(&a, &b) }
        if b - a <= 1e-12 * max(1, abs(a)) {
            // One value: a unit-wide axis around it (the value's own magnitude when it has one).
            let half = a == 0 ? 0.5 : NiceScale.nice(abs(a), round: false) / 2
            a -= half
            b += half
        }
        let range = NiceScale.nice(b - a, round: false)
        let step = max(NiceScale.nice(range / Double(max(count - 1, 1)), round: true), minStep)
        let first = floor(a / step + 1e-9) * step, last = ceil(b / step - 1e-9) * step
        let n = Int(((last - first) / step).rounded())
        // Multiplying, not adding, keeps 0.1·3 at 0.3 rather than 0.30000000000000004.
        ticks = (0...n).map { k in NiceScale.clean(first + Double(k) * step, step: step) }
        self.lo = ticks.first!
        self.hi = ticks.last!
        self.step = step
        decimals = max(0, -Int(floor(log10(step) + 1e-9)))
    }

    /// A tick value rounded to its step's precision (no -0, no 0.30000000000000004).
    static func clean(_ v: Double, step: Double) -> Double {
        let digits = max(0, -Int(floor(log10(step) + 1e-9))) + 1
        let p = pow(10, Double(min(digits, 15)))
        let r = (v * p).rounded() / p
        return r == 0 ? 0 : r
    }

    /// The tick's label: as many decimals as the step needs; powers of ten beyond 1e±5 in e-notation.
    public func label(_ v: Double) -> String {
        if abs(v) >= 1e5 || step < 1e-4 {
            if v == 0 { return "0" }
            // e.g. 2e-05 → "2e-5": the mantissa to the step's precision.
            let digits = max(0, Int(floor(log10(abs(v)) + 1e-9)) - Int(floor(log10(step) + 1e-9)))
            var s = String(format: "%.\(digits)e", v)
            if let r = s.range(of: "e") {
                var exp = String(s[r.upperBound...])
                let sign = exp.hasPrefix("-") ? "-" : ""
                exp = String(exp.drop { $0 == "-" || $0 == "+" || $0 == "0" })
                s = String(s[..<r.lowerBound]) + "e" + sign + (exp.isEmpty ? "0" : exp)
            }
            return s
        }
        return String(format: "%.\(decimals)f", v)
    }

    /// Ticks for a log₁₀ axis spanning the exponents lo...hi: every decade, or every 2nd, 5th, 10th…
    /// (the same 1-2-5 rule on the decade count) when there are many. Values are exponents.
    public static func decades(lo: Double, hi: Double, count: Int = 8) -> [Double] {
        let a = floor(lo), b = max(ceil(hi), a + 1)
        let step = max(1, NiceScale.nice((b - a) / Double(max(count - 1, 1)), round: true).rounded())
        let first = floor(a / step) * step
        return stride(from: first, through: ceil(b / step) * step, by: step).map { $0 }
    }
}
