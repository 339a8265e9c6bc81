import CBertKit
import Foundation
import TestSupport
import XCTest

/// The dropout mask generator and the dropout products, on both kernel paths.
final class DropoutKernelTests: XCTestCase {
    func eachPath(_ body: (String) throws -> Void) rethrows { try forEachKernelPath(body) }

    func mask(_ n: Int, key: UInt64, first: UInt64 = 0, p: Float) -> [UInt8] {
        var m = [UInt8](repeating: 7, count: n)
        bk_dropout_mask(&m, n, key, first, bk_dropout_threshold(p))
        return m
    }

    func testMaskKeepsAboutOneMinusP() {
        eachPath { isa in
            for p: Float in [0.1, 0.5, 0.9] {
                let n = 1 << 20
                let kept = mask(n, key: bk_dropout_key(42, 3), p: p).reduce(0) { $0 + Int($1) }
                // Binomial(n, 1-p): 6 standard deviations is at most 6·sqrt(n/4) = 3072 of 1M.
                XCTAssertEqual(Double(kept), Double(n) * Double(1 - p), accuracy: 3072, "p \(p), \(isa)")
            }
            XCTAssertTrue(mask(1000, key: 1, p: 0).allSatisfy { $0 == 1 }, "p 0 keeps everything (\(isa))")
            XCTAssertTrue(mask(1000, key: 1, p: 1).allSatisfy { $0 == 0 }, "p 1 keeps nothing (\(isa))")
        }
    }

    func testMaskIsAFunctionOfKeyAndIndexOnly() {
        let key = bk_dropout_key(7, 11)
        var paths: [[UInt8]] = []
        eachPath { _ in
            let whole = mask(1037, key: key, p: 0.3)
            // Filled in uneven pieces (as threads do), the same bytes.
            let pieces = [0..<5, 5..<64, 64..<65, 65..<1037].flatMap { mask($0.count, key: key, first: UInt64($0.lowerBound), p: 0.3) }
            XCTAssertEqual(whole, pieces)
            paths.append(whole)
        }
        XCTAssertEqual(paths[0], paths[1], "AVX-512 and portable give the same mask")
        XCTAssertNotEqual(mask(1037, key: bk_dropout_key(7, 12), p: 0.3), paths[0], "another step, another mask")
        XCTAssertNotEqual(mask(1037, key: bk_dropout_key(8, 11), p: 0.3), paths[0], "another seed, another mask")
        // Neighbouring elements are not correlated: pairs (keep, keep) occur ~ (1-p)² of the time.
        let m = mask(1 << 20, key: key, p: 0.5)
        let both = zip(m, m.dropFirst()).filter { $0 == 1 && $1 == 1 }.count
        XCTAssertEqual(Double(both) / Double(m.count - 1), 0.25, accuracy: 0.005)
    }

    func testApplyScalesKeptAndZeroesDropped() {
        eachPath { isa in
            let n = 37
            let x = (0..<n).map { Float($0) - 10.5 }, r = (0..<n).map { Float($0) * 0.25 }
            let m = (0..<n).map { UInt8($0 % 3 == 0 ? 0 : 1) }
            var y = [Float](repeating: .nan, count: n), z = [Float](repeating: .nan, count: n)
            bk_dropout_apply(&y, x, m, 1 / 0.9, nil, n)
            bk_dropout_apply(&z, x, m, 1 / 0.9, r, n)
            for i in 0..<n {
                let want = m[i] == 1 ? x[i] * (1 / Float(0.9)) : 0
                XCTAssertEqual(y[i], want, "\(isa) element \(i)")
                XCTAssertEqual(z[i], want + r[i], "\(isa) element \(i) with residual")
            }
        }
    }

    func testAttentionDropsProbabilitiesForTheContextOnly() {
        var rng = SeededRandom(seed: 3)
        for (seq, dh) in [(5, 12), (23, 64), (70, 16)] {
            let ld = 3 * dh
            let qkv = (0..<seq * ld).map { _ in Float(rng.normal()) }
            let drop = mask(seq * seq, key: 99, p: 0.25), scale: Float = 1 / 0.75
            eachPath { isa in
                var scratch = [Float](repeating: .nan, count: bk_attention_scratch_floats(Int32(seq), Int32(dh)))
                var probs = [Float](repeating: .nan, count: seq * seq), ctx = [Float](repeating: .nan, count: seq * dh)
                var plain = probs
                qkv.withUnsafeBufferPointer { p in
                    bk_attention_head_forward(p.baseAddress!, p.baseAddress! + dh, p.baseAddress! + 2 * dh, Int32(ld),
                                              Int32(seq), Int32(seq), Int32(dh), 1 / Float(dh).squareRoot(), nil, nil, 0, &probs,
                                              Int32(seq), drop, scale, &ctx, Int32(dh), &scratch)
                    var unused = [Float](repeating: 0, count: seq * dh)
                    bk_attention_head_forward(p.baseAddress!, p.baseAddress! + dh, p.baseAddress! + 2 * dh, Int32(ld),
                                              Int32(seq), Int32(seq), Int32(dh), 1 / Float(dh).squareRoot(), nil, nil, 0, &plain,
                                              Int32(seq), nil, 1, &unused, Int32(dh), &scratch)
                }
                XCTAssertEqual(probs, plain, "the recorded probabilities are the softmax, before dropout (\(isa))")
                var want = [Float](repeating: 0, count: seq * dh)
                for i in 0..<seq {
                    for j in 0..<seq where drop[i * seq + j] == 1 {
                        for d in 0..<dh { want[i * dh + d] += probs[i * seq + j] * scale * qkv[j * ld + 2 * dh + d] }
                    }
                }
                // Sums of ≤70 products of O(1) terms, in another order than the kernel's.
                assertClose(ctx, want, atol: 3e-6, label: "dropped context, seq \(seq), head \(dh), \(isa)")
            }
        }
    }
}
