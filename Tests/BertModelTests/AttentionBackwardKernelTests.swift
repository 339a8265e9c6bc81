import CBertKit
import Foundation
import TestSupport
import XCTest

/// The attention backward kernel against float64 formulas, on both kernel paths.
final class AttentionBackwardKernelTests: XCTestCase {
    func testBackwardMatchesFloat64() {
        var rng = SeededRandom(seed: 11)
        // Head sizes below, at and past one and four vectors; lengths leaving row (6) and key (16)
        // remainders; a prefix of keys, holes, dropout, and a row with every key masked.
        for (seq, dh) in [(1, 8), (7, 12), (23, 64), (40, 80), (70, 16)] {
            let ld = 3 * dh + 3, ldc = dh + 5
            let qkv = (0..<seq * ld).map { _ in Float(rng.normal()) }
            let dctx = (0..<seq * ldc).map { _ in Float(rng.normal()) }
            var holes = (0..<seq).map { UInt8($0 % 4 == 2 ? 0 : 1) }
            holes[0] = 1
            let drop = (0..<seq * seq).map { _ in UInt8(rng.uniform() < 0.2 ? 0 : 1) }
            let cases: [(String, Int, [UInt8]?, [UInt8]?, Bool)] = [
                ("all keys", seq, nil, nil, true), ("prefix", max(1, seq - seq / 3), nil, nil, true),
                ("holes", seq, holes, nil, true), ("dropout", seq, holes, drop, true),
                ("all masked", seq, [UInt8](repeating: 0, count: seq), drop, false),
            ]
            for (name, keys, keymask, drop, live) in cases {
                let dropScale: Float = 1.25
                // Forward in float64 (probs as the forward kernel stores them, in f32).
                var probs = [Float](repeating: 0, count: seq * seq)
                let scale = 1 / Double(dh).squareRoot()
                for i in 0..<seq {
                    let used = (0..<keys).filter { keymask?[$0] ?? 1 == 1 }
                    let s = used.map { j in (0..<dh).reduce(0.0) { $0 + Double(qkv[i * ld + $1]) * Double(qkv[j * ld + dh + $1]) } * scale }
                    let m = s.max() ?? 0, e = s.map { exp($0 - m) }, z = e.reduce(0, +)
                    if used.isEmpty { for j in 0..<keys { probs[i * seq + j] = 1 / Float(keys) } }
                    for (u, j) in used.enumerated() { probs[i * seq + j] = Float(e[u] / z) }
                }
                // Reference backward.
                var dq = [Double](repeating: 0, count: seq * dh), dk = dq, dv = dq
                for i in 0..<seq {
                    let c = (0..<keys).map { j in drop.map { $0[i * seq + j] == 1 ? Double(dropScale) : 0 } ?? 1 }
                    let dp = (0..<keys).map { j in (0..<dh).reduce(0.0) { $0 + Double(dctx[i * ldc + $1]) * Double(qkv[j * ld + 2 * dh + $1]) } * c[j] }
                    let dot = (0..<keys).reduce(0.0) { $0 + Double(probs[i * seq + $1]) * dp[$1] }
                    for j in 0..<keys {
                        let p = Double(probs[i * seq + j])
                        let ds = live ? p * (dp[j] - dot) * scale : 0
                        for d in 0..<dh {
                            dq[i * dh + d] += ds * Double(qkv[j * ld + dh + d])
                            dk[j * dh + d] += ds * Double(qkv[i * ld + d])
                            dv[j * dh + d] += p * c[j] * Double(dctx[i * ldc + d])
                        }
                    }
                }
                forEachKernelPath { isa in
                    var out = [Float](repeating: .nan, count: seq * ld)
                    var scratch = [Float](repeating: .nan, count: bk_attention_backward_scratch_floats(Int32(seq), Int32(dh)))
                    qkv.withUnsafeBufferPointer { p in
                        out.withUnsafeMutableBufferPointer { o in
                            bk_attention_head_backward(p.baseAddress!, p.baseAddress! + dh, p.baseAddress! + 2 * dh, Int32(ld), dctx,
                                                       Int32(ldc), probs, Int32(seq), drop, dropScale, Int32(seq), Int32(keys),
                                                       Int32(dh), Float(scale), live ? 1 : 0, o.baseAddress!, o.baseAddress! + dh,
                                                       o.baseAddress! + 2 * dh, nil, 0, &scratch)
                        }
                    }
                    let label = "\(name), seq \(seq), head \(dh), \(isa)"
                    func column(_ at: Int) -> [Float] { (0..<seq).flatMap { i in out[i * ld + at..<i * ld + at + dh] } }
                    // f32 sums of ≤80 products of O(1) terms, in another order: a few ulps of the sums.
                    assertClose(column(0), dq.map { Float($0) }, atol: 2e-5, label: "dq " + label)
                    assertClose(column(dh), dk.map { Float($0) }, atol: 2e-5, label: "dk " + label)
                    assertClose(column(2 * dh), dv.map { Float($0) }, atol: 2e-5, label: "dv " + label)
                }
            }
        }
    }
}
