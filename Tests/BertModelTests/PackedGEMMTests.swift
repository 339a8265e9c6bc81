import BertModel
import BertTensors
import CBertKit
import TestSupport
import XCTest

/// The packed-weight GEMM (kernels/packed_gemm.c) against float64 and against OpenBLAS, on both
/// the AVX-512 and the portable path, and the forward's use of it.
final class PackedGEMMTests: XCTestCase {
    struct Case { let m, n, k: Int }
    // Row counts around the 12-row block, column counts around the 32-column panel, k around the
    // 128-wide pass, BERT-like shapes.
    static let cases = [Case(m: 1, n: 1, k: 1), Case(m: 5, n: 31, k: 7), Case(m: 12, n: 32, k: 128), Case(m: 13, n: 33, k: 129),
                        Case(m: 37, n: 100, k: 300), Case(m: 24, n: 64, k: 257), Case(m: 128, n: 384, k: 384),
                        // A row stride of 4 KiB (1024 floats), where A's k-slices are copied first.
                        Case(m: 14, n: 40, k: 1024), Case(m: 25, n: 33, k: 2048)]

    func random(_ n: Int, _ g: inout SeededRandom) -> [Float] { (0..<n).map { _ in Float(g.normal()) } }

    /// C (starting from `c0`) += A · Wᵀ through the packed kernel, the panels in `splits` calls.
    func packedGEMM(_ a: [Float], _ w: [Float], _ c0: [Float], _ s: Case, splits: Int = 1) -> [Float] {
        let panels = Int(bk_packed_panels(Int32(s.n)))
        let count = bk_packed_floats(Int32(s.n), Int32(s.k))
        let packed = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
        defer { packed.deallocate() }
        bk_pack_weight(packed, w, Int32(s.n), Int32(s.k), 0, Int32(panels))
        var c = c0
        for i in 0..<splits {
            bk_packed_gemm(&c, Int32(s.n), a, Int32(s.k), packed, Int32(s.m), Int32(s.n), Int32(s.k), Int32(panels * i / splits),
                           Int32(panels * (i + 1) / splits))
        }
        return c
    }

    func testMatchesFloat64AndOpenBLASOnBothPaths() throws {
        try BLAS.load()
        var g = SeededRandom(seed: 7)
        for s in Self.cases {
            let a = random(s.m * s.k, &g), w = random(s.n * s.k, &g), c0 = random(s.m * s.n, &g)
            var blas = c0
            BLAS.sgemm(transB: true, m: s.m, n: s.n, k: s.k, a: a, lda: s.k, b: w, ldb: s.k, beta: 1, c: &blas, ldc: s.n)
            forEachKernelPath { isa in
                let got = packedGEMM(a, w, c0, s)
                var worst64 = 0.0, worstBLAS = 0.0
                for i in 0..<s.m {
                    for j in 0..<s.n {
                        var exact = Double(c0[i * s.n + j]), mag = abs(exact)
                        for kk in 0..<s.k {
                            let p = Double(a[i * s.k + kk]) * Double(w[j * s.k + kk])
                            exact += p
                            mag += abs(p)
                        }
                        // f32 summation of k products: each step rounds by ≤ 2⁻²⁴ of the running
                        // magnitude, so the error stays under k·2⁻²⁴·Σ|terms|; relative to that bound.
                        let bound = Double(s.k + 1) * 0x1p-24 * mag
                        worst64 = max(worst64, abs(Double(got[i * s.n + j]) - exact) / bound)
                        worstBLAS = max(worstBLAS, abs(Double(got[i * s.n + j]) - Double(blas[i * s.n + j])) / bound)
                    }
                }
                XCTAssertLessThan(worst64, 1, "\(isa) \(s) vs float64")
                // Both within the bound of the exact value, so within twice it of each other.
                XCTAssertLessThan(worstBLAS, 2, "\(isa) \(s) vs OpenBLAS")
                XCTAssertEqual(packedGEMM(a, w, c0, s, splits: 3), got, "\(isa) \(s): panels split across calls change the bits")
            }
        }
    }

    func testForwardWithPackedWeightsMatchesOpenBLASForward() throws {
        // bert-like sizes (hidden 64, intermediate 128: two panels each way) at 2×24 rows.
        let c = RandomBert.config(layers: 2, hidden: 64, heads: 4, intermediate: 128)
        let model = try BertModel(checkpoint: RandomBert.checkpoint(c))
        let input = try BertInput(rows: [Array(2..<26), Array(5..<29)], config: c)
        func last(packed: Bool) throws -> [Float] {
            let b = model.makeBuffers(batch: input.batch, seq: input.seq, keepEveryLayer: true)
            try model.forward(input, into: b, packedWeights: packed)
            return Array(b.values(of: .output(layer: c.numHiddenLayers - 1), config: c)!)
        }
        let blas = try last(packed: false)
        XCTAssertEqual(model.packedWeightBytes, 0, "--no-packed must not pack")
        // Same products, another summation order: f32 ulps of O(1) values through 2 layers.
        assertClose(try last(packed: true), blas, atol: 1e-5, label: "packed vs OpenBLAS forward")
        XCTAssertGreaterThan(model.packedWeightBytes, 0)

        // A training-style change to the weights: the next forward must repack, not reuse stale panels.
        let w = model.parameters[.layer(0, .intermediateWeight)]
        for i in 0..<(c.intermediateSize * c.hiddenSize) { w[i] *= -0.5 }
        model.parameters.didChange()
        assertClose(try last(packed: true), try last(packed: false), atol: 1e-5, label: "after a weight change")
    }
}
