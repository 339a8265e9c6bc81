import BertFormats
import BertTensors
import CBertKit

// The encoder's Linear weights packed once for the small-M GEMM (kernels/packed_gemm.c). OpenBLAS
// repacks a weight on every call, which costs little next to a thousand rows' work but a large
// share with a batch-1 forward's hundred-odd rows; the packed copy is made on the first forward
// with few enough rows, and remade when the parameters have changed since (ParameterStore.version:
// training steps bump it). It costs one more copy of the encoder's Linear weights in memory.

/// One packed Linear weight: W[N, K] as panels of 32 output columns (bk_packed_floats(N, K) floats).
struct PackedWeight {
    let data: UnsafePointer<Float>
    let outFeatures, inFeatures: Int

    /// Forwards with at most this many rows (batch × seq) use the packed GEMM; larger ones
    /// OpenBLAS's, which amortises its packing and is as fast or faster there (formats/benchmarks.md).
    static let maxRows = 256
}

/// Every layer's QKV, attention output, intermediate and output weights, packed.
final class PackedLinears {
    struct Layer { let qkv, attentionOutput, intermediate, output: PackedWeight }
    let layers: [Layer]
    /// The ParameterStore version packed.
    let version: Int
    let byteCount: Int
    private let storage: UnsafeMutablePointer<Float>

    init(_ p: ParameterStore, config c: BertConfig) {
        let h = c.hiddenSize, inter = c.intermediateSize
        let shapes = [(3 * h, h), (h, h), (inter, h), (h, inter)]
        let perLayer = shapes.map { bk_packed_floats(Int32($0.0), Int32($0.1)) }
        let total = max(1, perLayer.reduce(0, +) * c.storedLayers)
        storage = UnsafeMutableRawPointer.allocate(byteCount: total * 4, alignment: 64).bindMemory(to: Float.self, capacity: total)
        byteCount = total * 4
        version = p.version
        var at = storage
        func pack(_ w: UnsafePointer<Float>, _ n: Int, _ k: Int) -> PackedWeight {
            let dst = at
            parallelFor(Int(bk_packed_panels(Int32(n)))) { r in
                bk_pack_weight(dst, w, Int32(n), Int32(k), Int32(r.lowerBound), Int32(r.upperBound))
            }
            at += bk_packed_floats(Int32(n), Int32(k))
            return PackedWeight(data: dst, outFeatures: n, inFeatures: k)
        }
        layers = (0..<c.storedLayers).map { l in
            Layer(qkv: pack(p[.layer(l, .queryWeight)], 3 * h, h), attentionOutput: pack(p[.layer(l, .attentionOutputWeight)], h, h),
                  intermediate: pack(p[.layer(l, .intermediateWeight)], inter, h), output: pack(p[.layer(l, .outputWeight)], h, inter))
        }
    }

    deinit { storage.deallocate() }
}

/// out[M, N] += inp[M, K] · Wᵀ from a packed W, the panels split across the workers. Each element
/// adds its products in k order whatever the split, so the bits do not depend on the thread count.
func linearAccumulate(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, packed w: PackedWeight, rows m: Int) {
    let n = w.outFeatures, k = w.inFeatures
    parallelFor(Int(bk_packed_panels(Int32(n)))) { r in
        bk_packed_gemm(out, Int32(n), inp, Int32(k), w.data, Int32(m), Int32(n), Int32(k), Int32(r.lowerBound),
                       Int32(r.upperBound))
    }
}
