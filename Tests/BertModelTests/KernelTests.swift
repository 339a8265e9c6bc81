import CBertKit
import Foundation
import TestSupport
import XCTest

/// The C kernels against float64 formulas, on both the AVX-512 and the portable path.
final class KernelTests: XCTestCase {
    func eachPath(_ body: (String) throws -> Void) rethrows { try forEachKernelPath(body) }

    static let grid: [Float] = stride(from: -7.0, through: 7.0, by: 0.0007).map { Float($0) }
        + [0, -0, 1e-30, -1e-30, 0.999_999_94, 1, 1.000_000_1, 3.919_999_8, 3.92, 40, -40]

    func apply(_ f: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void, _ x: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: x.count)
        f(&out, x, x.count)
        return out
    }

    func testErfWithin2e7OfTrueErf() {
        // The fits are ~1e-7 from erf in exact arithmetic; f32 evaluation adds about an ulp.
        eachPath { isa in
            let y = apply(bk_erf, Self.grid)
            let worst = zip(Self.grid, y).map { abs(Double($1) - erf(Double($0))) }.max()!
            XCTAssertLessThan(worst, 2e-7, isa)
        }
    }

    func testExpWithin3e7Relative() {
        // Cephes' expf is within about 1 ulp (6e-8) over the normal range.
        let x = stride(from: -87.0, through: 88.5, by: 0.003).map { Float($0) }
        eachPath { isa in
            let y = apply(bk_exp, x)
            let worst = zip(x, y).map { abs(Double($1) / exp(Double($0)) - 1) }.max()!
            XCTAssertLessThan(worst, 3e-7, isa)
            let edge = apply(bk_exp, [-200, -.infinity, .nan, 0])
            XCTAssertEqual(edge[0], 0, isa)
            XCTAssertEqual(edge[1], 0, isa)
            XCTAssertTrue(edge[2].isNaN, isa)
            XCTAssertEqual(edge[3], 1, isa)
        }
    }

    func testActivationsMatchTransformersFormulas() {
        let c = (2 / Double.pi).squareRoot()
        let cases: [(String, (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void, (Double) -> Double)] = [
            ("gelu", bk_gelu_forward, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }),
            ("gelu_new", bk_gelu_tanh_forward, { 0.5 * $0 * (1 + tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }),
            ("relu", bk_relu_forward, { max($0, 0) }),
            ("silu", bk_silu_forward, { $0 / (1 + exp(-$0)) }),
        ]
        eachPath { isa in
            for (name, f, ref) in cases {
                let y = apply(f, Self.grid)
                // Relative to max(1, |x|): f32 rounding of x·(something near 1) plus the erf/exp error.
                let worst = zip(Self.grid, y).map { abs(Double($1) - ref(Double($0))) / max(1, abs(Double($0))) }.max()!
                XCTAssertLessThan(worst, 4e-7, "\(name) on \(isa)")
                let nan = apply(f, [.nan])
                XCTAssertTrue(nan[0].isNaN, "\(name)(NaN) on \(isa) must stay NaN so verify can count it")
            }
        }
    }

    func testLayerNormMatchesFloat64() {
        for cols in [1, 7, 16, 33, 384] {
            let rows = 3
            let x = (0..<rows * cols).map { Float(sin(Double($0) * 1.3) * 3 + 0.5) }
            let w = (0..<cols).map { Float(1 + 0.1 * cos(Double($0))) }, b = (0..<cols).map { Float(0.01 * Double($0)) }
            var expected = [Float](), means = [Float](), rstds = [Float]()
            for r in 0..<rows {
                let row = x[r * cols..<(r + 1) * cols].map(Double.init)
                let m = row.reduce(0, +) / Double(cols)
                let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(cols)
                let rs = 1 / (v + 1e-12).squareRoot()
                expected += row.enumerated().map { Float(($1 - m) * rs * Double(w[$0]) + Double(b[$0])) }
                means.append(Float(m))
                rstds.append(Float(rs))
            }
            eachPath { isa in
                var out = [Float](repeating: 0, count: x.count), mean = [Float](repeating: 0, count: rows)
                var rstd = mean
                bk_layernorm_forward(&out, &mean, &rstd, x, w, b, Int32(rows), Int32(cols), 1e-12)
                // Values are O(3); f32 sums over ≤384 terms: a few 1e-7.
                assertClose(out, expected, atol: 2e-6, label: "layernorm \(cols) cols, \(isa)")
                assertClose(mean, means, atol: 1e-6, label: "mean")
                // A one-column row has variance 0 and rstd 1e6, exact in f32 up to rounding.
                assertClose(rstd, rstds, atol: 0, rtol: 1e-5, label: "rstd")
            }
        }
    }

    /// softmax(q·kᵀ·scale + mask)·v in float64, transformers' additive mask included.
    func referenceAttention(q: [Float], k: [Float], v: [Float], ld: Int, seq: Int, keys: Int, dh: Int,
                            mask: [UInt8]?) -> (probs: [Double], ctx: [Double]) {
        let scale = 1 / Double(dh).squareRoot()
        var probs = [Double](repeating: 0, count: seq * seq), ctx = [Double](repeating: 0, count: seq * dh)
        for i in 0..<seq {
            var s = (0..<keys).map { j in
                (0..<dh).reduce(0.0) { $0 + Double(q[i * ld + $1]) * Double(k[j * ld + $1]) } * scale
                    + (mask.map { $0[j] == 0 ? -3.4028234663852886e38 : 0 } ?? 0)
            }
            let m = s.max()!
            s = s.map { exp($0 - m) }
            let z = s.reduce(0, +)
            for j in 0..<keys { probs[i * seq + j] = s[j] / z }
            for d in 0..<dh { ctx[i * dh + d] = (0..<keys).reduce(0.0) { $0 + probs[i * seq + $1] * Double(v[$1 * ld + d]) } }
        }
        return (probs, ctx)
    }

    func testAttentionMatchesFloat64() {
        var rng = SeededRandom(seed: 7)
        // Head sizes below, at and above one vector (16) and past 64 (a second column block);
        // sequence lengths that leave row (6) and key (16) remainders.
        for (seq, dh) in [(1, 8), (5, 12), (13, 32), (23, 64), (40, 80), (70, 16)] {
            let ld = 3 * dh + 5
            let qkv = (0..<seq * ld).map { _ in Float(rng.normal()) }
            let q = Array(qkv), k = Array(qkv.dropFirst(dh)) + [Float](repeating: 0, count: dh)
            let v = Array(qkv.dropFirst(2 * dh)) + [Float](repeating: 0, count: 2 * dh)
            var holes = (0..<seq).map { UInt8($0 % 3 == 1 ? 0 : 1) }
            holes[0] = 1
            let cases: [(String, Int, [UInt8]?)] = [
                ("all keys", seq, nil), ("prefix", max(1, seq - seq / 3), nil), ("holes", seq, holes),
                ("all masked", seq, [UInt8](repeating: 0, count: seq)),
            ]
            for (name, keys, mask) in cases {
                let ref = referenceAttention(q: q, k: k, v: v, ld: ld, seq: seq, keys: keys, dh: dh, mask: mask)
                eachPath { isa in
                    var scratch = [Float](repeating: .nan, count: bk_attention_scratch_floats(Int32(seq), Int32(dh)))
                    var probs = [Float](repeating: .nan, count: seq * seq), ctx = [Float](repeating: .nan, count: seq * dh)
                    qkv.withUnsafeBufferPointer { p in
                        bk_attention_head_forward(p.baseAddress!, p.baseAddress! + dh, p.baseAddress! + 2 * dh, Int32(ld),
                                                  Int32(seq), Int32(keys), Int32(dh), 1 / Float(dh).squareRoot(), mask,
                                                  nil, 0, &probs, Int32(seq), nil, 1, &ctx, Int32(dh), &scratch)
                    }
                    let label = "\(name), seq \(seq), head \(dh), \(isa)"
                    // Probabilities ≤ 1 and contexts O(1): f32 sums over ≤80 terms.
                    assertClose(probs, ref.probs.map { Float($0) }, atol: 1e-6, label: "probs " + label)
                    assertClose(ctx, ref.ctx.map { Float($0) }, atol: 3e-6, label: "context " + label)
                    // Without probabilities to record, the kernel normalises the context instead.
                    var ctx2 = [Float](repeating: .nan, count: seq * dh)
                    qkv.withUnsafeBufferPointer { p in
                        bk_attention_head_forward(p.baseAddress!, p.baseAddress! + dh, p.baseAddress! + 2 * dh, Int32(ld),
                                                  Int32(seq), Int32(keys), Int32(dh), 1 / Float(dh).squareRoot(), mask,
                                                  nil, 0, nil, 0, nil, 1, &ctx2, Int32(dh), &scratch)
                    }
                    assertClose(ctx2, ref.ctx.map { Float($0) }, atol: 3e-6, label: "context without probabilities " + label)
                }
            }
        }
    }

    func testAttentionPropagatesNaN() {
        let seq = 4, dh = 16, ld = 3 * dh
        var qkv = [Float](repeating: 0.1, count: seq * ld)
        qkv[ld + dh + 3] = .nan  // key 1
        eachPath { isa in
            var scratch = [Float](repeating: 0, count: bk_attention_scratch_floats(Int32(seq), Int32(dh)))
            var ctx = [Float](repeating: 0, count: seq * dh)
            qkv.withUnsafeBufferPointer { p in
                bk_attention_head_forward(p.baseAddress!, p.baseAddress! + dh, p.baseAddress! + 2 * dh, Int32(ld), Int32(seq),
                                          Int32(seq), Int32(dh), 0.25, nil, nil, 0, nil, 0, nil, 1, &ctx, Int32(dh), &scratch)
            }
            XCTAssertTrue(ctx.allSatisfy(\.isNaN), "a NaN key makes every query's context NaN (\(isa))")
        }
    }
}

/// Runs `body` once per available kernel path, naming it.
func forEachKernelPath(_ body: (String) throws -> Void) rethrows {
    defer { bk_kernels_force_portable(0) }
    for portable in [false, true] {
        bk_kernels_force_portable(portable ? 1 : 0)
        try body(String(cString: bk_kernels_isa()))
    }
}

