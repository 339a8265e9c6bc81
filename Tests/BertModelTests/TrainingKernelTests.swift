@testable import BertModel
import CBertKit
import Foundation
import TestSupport
import XCTest

/// The training kernels (activation and LayerNorm backward, bias gradients, Adam) against float64
/// formulas or torch's f32 formula, on both the AVX-512 and the portable path.
final class TrainingKernelTests: XCTestCase {
    typealias Backward = (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Void

    func testActivationBackwardMatchesFloat64Derivatives() {
        let c = (2 / Double.pi).squareRoot(), c1 = 0.044715
        let sigmoid = { (x: Double) in 1 / (1 + exp(-x)) }
        let cases: [(String, Backward, (Double) -> Double)] = [
            ("gelu", bk_gelu_backward, { x in 0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }),
            ("gelu_new", bk_gelu_tanh_backward, { x in
                let t = tanh(c * (x + c1 * x * x * x))
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * c1 * x * x)
            }),
            ("relu", bk_relu_backward, { $0 > 0 ? 1 : 0 }),
            ("silu", bk_silu_backward, { x in sigmoid(x) * (1 + x * (1 - sigmoid(x))) }),
        ]
        let x = KernelTests.grid
        let dout = x.indices.map { Float(1 + 0.5 * sin(Double($0))) }
        forEachKernelPath { isa in
            for (name, f, ref) in cases {
                var dinp = [Float](repeating: .nan, count: x.count)
                f(&dinp, dout, x, x.count)
                // Relative to max(1, |x|)·|dout|: the derivatives are O(1) plus x·(something ≤ 1),
                // evaluated in f32 with the erf/exp polynomials (~1e-7 each).
                let worst = x.indices.map { i in
                    abs(Double(dinp[i]) - Double(dout[i]) * ref(Double(x[i]))) / (max(1, abs(Double(x[i]))) * Double(dout[i]))
                }.max()!
                XCTAssertLessThan(worst, 1e-6, "\(name) backward on \(isa)")
                // In place (dinp = dout), as the backward calls it, on a length with a vector tail.
                var inPlace = Array(dout.prefix(37))
                inPlace.withUnsafeMutableBufferPointer { f($0.baseAddress!, $0.baseAddress!, x, 37) }
                XCTAssertEqual(inPlace, Array(dinp.prefix(37)), "\(name) backward in place on \(isa)")
                if name != "relu" {
                    var nan: [Float] = [0]
                    f(&nan, [1], [.nan], 1)
                    XCTAssertTrue(nan[0].isNaN, "\(name) backward of NaN on \(isa) must stay NaN")
                }
            }
        }
    }

    func testLayerNormBackwardMatchesFloat64() {
        var rng = SeededRandom(seed: 11)
        for cols in [1, 7, 16, 33, 384] {
            let rows = 5
            let x = (0..<rows * cols).map { _ in Float(rng.normal() * 2 + 0.3) }
            let dout = (0..<rows * cols).map { _ in Float(rng.normal()) }
            let w = (0..<cols).map { _ in Float(1 + 0.2 * rng.normal()) }, b = [Float](repeating: 0, count: cols)
            var y = x, mean = [Float](repeating: 0, count: rows), rstd = mean
            bk_layernorm_forward(&y, &mean, &rstd, x, w, b, Int32(rows), Int32(cols), 1e-12)
            // Float64 from the same saved mean/rstd; dweight/dbias start non-zero: the kernel adds.
            let start = (0..<cols).map { Float($0) * 0.01 }
            var ex = [Double](repeating: 0, count: rows * cols), ew = start.map(Double.init), eb = ew
            for r in 0..<rows {
                let n = (0..<cols).map { (Double(x[r * cols + $0]) - Double(mean[r])) * Double(rstd[r]) }
                let g = (0..<cols).map { Double(dout[r * cols + $0]) * Double(w[$0]) }
                let mg = g.reduce(0, +) / Double(cols), mgn = zip(g, n).map(*).reduce(0, +) / Double(cols)
                for i in 0..<cols {
                    ex[r * cols + i] = Double(rstd[r]) * (g[i] - mg - n[i] * mgn)
                    ew[i] += Double(dout[r * cols + i]) * n[i]
                    eb[i] += Double(dout[r * cols + i])
                }
            }
            forEachKernelPath { isa in
                var dx = [Float](repeating: .nan, count: rows * cols), dw = start, db = start, copy = dx
                bk_layernorm_backward(&dx, &copy, &dw, &db, dout, x, mean, rstd, w, Int32(rows), Int32(cols))
                XCTAssertEqual(copy, dx, "the copy of dinp, \(cols) cols, \(isa)")
                // The backward writes the copy over dout itself (each row is read before it is written).
                var inPlace = dout, dx2 = dx, dw2 = start, db2 = start
                inPlace.withUnsafeMutableBufferPointer { d in
                    bk_layernorm_backward(&dx2, d.baseAddress!, &dw2, &db2, d.baseAddress!, x, mean, rstd, w, Int32(rows), Int32(cols))
                }
                XCTAssertEqual(inPlace, dx, "dinp_copy = dout, \(cols) cols, \(isa)")
                XCTAssertEqual(dw2, dw, "dinp_copy = dout, \(cols) cols, \(isa)")
                // Gradients O(1) from f32 sums over ≤384 terms: a few 1e-7 each; one column: exactly 0
                // up to rounding of x - mean.
                assertClose(dx, ex.map { Float($0) }, atol: 1e-5, label: "dinp \(cols) cols, \(isa)")
                assertClose(dw, ew.map { Float($0) }, atol: 1e-5, label: "dweight \(cols) cols, \(isa)")
                assertClose(db, eb.map { Float($0) }, atol: 1e-5, label: "dbias \(cols) cols, \(isa)")
            }
        }
    }

    func testLayerNormBackwardOnWorkersIsDeterministic() {
        var rng = SeededRandom(seed: 12)
        let rows = 203, cols = 48
        let x = (0..<rows * cols).map { _ in Float(rng.normal()) }, dout = (0..<rows * cols).map { _ in Float(rng.normal()) }
        let w = (0..<cols).map { _ in Float(1 + 0.2 * rng.normal()) }
        var y = x, mean = [Float](repeating: 0, count: rows), rstd = mean
        bk_layernorm_forward(&y, &mean, &rstd, x, w, [Float](repeating: 0, count: cols), Int32(rows), Int32(cols), 1e-12)
        func run(threads: Int) -> (dx: [Float], dw: [Float], db: [Float]) {
            let saved = ComputeThreads.count
            defer { ComputeThreads.set(saved) }
            ComputeThreads.set(threads)
            var dx = [Float](repeating: .nan, count: rows * cols), dw = [Float](repeating: 1, count: cols), db = dw
            layerNormBackward(dinp: &dx, dweight: &dw, dbias: &db, dout: dout, inp: x, mean: mean, rstd: rstd, weight: w,
                              rows: rows, cols: cols)
            return (dx, dw, db)
        }
        let one = run(threads: 1), two = run(threads: 2), twoAgain = run(threads: 2)
        XCTAssertEqual(two.dx, one.dx, "rows are independent: the same bits on any number of workers")
        XCTAssertEqual(two.dw, twoAgain.dw, "partial sums added in worker order: the same bits every run")
        XCTAssertEqual(two.db, twoAgain.db)
        // Across thread counts only the order of the f32 sums over 203 rows differs; the sums reach
        // ~40 and each addition may round by half an ulp (~2e-6 there).
        assertClose(two.dw, one.dw, atol: 1e-5, rtol: 2e-5, label: "dweight, 2 vs 1 workers")
        assertClose(two.db, one.db, atol: 1e-5, rtol: 2e-5, label: "dbias, 2 vs 1 workers")
    }

    func testColumnSumsAddRowsInOrderOnAnySplit() {
        var rng = SeededRandom(seed: 13)
        for (rows, cols) in [(1, 1), (7, 15), (33, 16), (5, 64), (19, 65), (40, 200), (64, 384)] {
            let x = (0..<rows * cols).map { _ in Float(rng.normal()) }
            let start = (0..<cols).map { Float($0) * 0.25 }
            var serial = start
            for r in 0..<rows { for c in 0..<cols { serial[c] += x[r * cols + c] } }
            forEachKernelPath { isa in
                var whole = start
                bk_column_sums(&whole, x, Int32(rows), Int32(cols), Int32(cols))
                XCTAssertEqual(whole, serial, "\(rows)×\(cols) on \(isa): rows added in order, bit for bit")
                // Split at 16 as the workers split it.
                var split = start
                let cut = min(cols, 16)
                split.withUnsafeMutableBufferPointer { s in
                    x.withUnsafeBufferPointer { p in
                        bk_column_sums(s.baseAddress!, p.baseAddress!, Int32(rows), Int32(cut), Int32(cols))
                        bk_column_sums(s.baseAddress! + cut, p.baseAddress! + cut, Int32(rows), Int32(cols - cut), Int32(cols))
                    }
                }
                XCTAssertEqual(split, serial, "\(rows)×\(cols) split on \(isa)")
            }
            for threads in [1, 2] {
                let saved = ComputeThreads.count
                ComputeThreads.set(threads)
                var out = start
                columnSums(into: &out, x, rows: rows, cols: cols)
                ComputeThreads.set(saved)
                XCTAssertEqual(out, serial, "columnSums \(rows)×\(cols) on \(threads) threads")
            }
        }
    }

    /// torch's _single_tensor_adam in f32, one operation at a time (Swift does not contract to FMAs).
    func referenceAdam(_ p: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float], _ k: bk_adam_step) {
        for i in p.indices {
            var pi = p[i], gi = g[i]
            if k.l2 != 0 { gi += k.l2 * pi }
            if k.decay != 1 { pi *= k.decay }
            m[i] += k.one_minus_beta1 * (gi - m[i])
            v[i] = v[i] * k.beta2 + k.one_minus_beta2 * gi * gi
            let denom = v[i].squareRoot() / k.bias_correction2_sqrt + k.eps
            p[i] = pi - k.step_size * (m[i] / denom)
        }
    }

    func testAdamKernelHasTorchsBitsOnBothPaths() {
        var rng = SeededRandom(seed: 14)
        let n = 3 * 16 + 5
        var g = (0..<n).map { _ in Float(rng.normal() * 1e-3) }
        g[0] = 0
        g[1] = 1e-30  // g² underflows in f32
        g[2] = 3e4
        let p0 = (0..<n).map { _ in Float(rng.normal()) }
        let m0 = (0..<n).map { _ in Float(rng.normal() * 1e-3) }, v0 = (0..<n).map { _ in Float(abs(rng.normal()) * 1e-6) }
        for (kind, wd) in [(AdamOptimizer.Kind.adam, Float(0)), (.adam, 0.01), (.adamw, 0.01), (.adamw, 0)] {
            let lr: Float = 1e-3, t: Float = 7
            var k = bk_adam_step()
            k.step_size = lr / (1 - powf(0.9, t))
            k.beta2 = 0.999
            k.one_minus_beta1 = 1 - 0.9
            k.one_minus_beta2 = 1 - 0.999
            k.bias_correction2_sqrt = sqrtf(1 - powf(0.999, t))
            k.eps = 1e-8
            k.l2 = kind == .adam ? wd : 0
            k.decay = kind == .adamw ? 1 - lr * wd : 1
            var ep = p0, em = m0, ev = v0
            referenceAdam(&ep, g, &em, &ev, k)
            var results: [[Float]] = []
            forEachKernelPath { isa in
                var p = p0, m = m0, v = v0, sumsq = -1.0
                withUnsafePointer(to: k) { k in bk_adam_update(&p, g, &m, &v, n, k, &sumsq) }
                let label = "\(kind) wd \(wd) on \(isa)"
                XCTAssertEqual(p.map(\.bitPattern), ep.map(\.bitPattern), "params, " + label)
                XCTAssertEqual(m.map(\.bitPattern), em.map(\.bitPattern), "exp_avg, " + label)
                XCTAssertEqual(v.map(\.bitPattern), ev.map(\.bitPattern), "exp_avg_sq, " + label)
                XCTAssertEqual(sumsq, bk_sum_squares(g, n), "the fused sum of squares is bk_sum_squares', " + label)
                // f64 sums of exact squares: only the order differs from a plain loop.
                XCTAssertEqual(sumsq, g.reduce(0.0) { $0 + Double($1) * Double($1) }, accuracy: 1e-15 * sumsq, label)
                results.append(p + m + v)
            }
            if results.count == 2 { XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern)) }
        }
    }

    func testFusedGradientNormIsGradientNormsBits() {
        // Three 65536-element chunks and a tail, so the chunked sums are exercised.
        var rng = SeededRandom(seed: 15)
        let n = 3 * 65_536 + 1234
        let g = (0..<n).map { _ in Float(rng.normal() * 0.01) }
        let p0 = (0..<n).map { _ in Float(rng.normal()) }
        for threads in [1, 2] {
            let saved = ComputeThreads.count
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(saved) }
            forEachKernelPath { isa in
                let settings = AdamOptimizer.Settings(kind: .adamw, learningRate: 1e-3, weightDecay: 0.01)
                var plain = AdamOptimizer(settings: settings, parameterCount: n), fused = plain
                var pp = p0, pf = p0
                let norm = g.withUnsafeBufferPointer { gradientNorm($0) }
                let fusedNorm = pf.withUnsafeMutableBufferPointer { p in
                    g.withUnsafeBufferPointer { fused.updateReturningGradientNorm(params: p, grads: $0, lr: 1e-3) }
                }
                pp.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { plain.update(params: p, grads: $0, lr: 1e-3) } }
                XCTAssertEqual(fusedNorm.bitPattern, norm.bitPattern, "\(threads) threads, \(isa)")
                XCTAssertEqual(norm, Float(g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()), accuracy: 1e-7 * norm)
                XCTAssertEqual(pf, pp, "the fused update moves the parameters as update does (\(threads) threads, \(isa))")
                XCTAssertEqual(fused.exp_avg_sq, plain.exp_avg_sq)
            }
        }
    }
}
