import CBertKit

// transformers modeling_bert.py, BertSelfAttention with eager_attention_forward: per (batch row,
// head), probs = softmax(Q·Kᵀ / sqrt(head size) + mask), context = probs · V, heads concatenated
// back to [T, H]. The kernel skips masked keys instead of adding the large negative mask: the same
// numbers (see Sources/CBertKit/kernels/attention.c), less work, and a padded row equals its text alone.

/// context[T, H] (and probs[B, heads, S, S] when given) from qkv[T, 3H]. `keys[b]`: how many
/// leading keys row b uses, and whether `mask` must also be consulted for holes.
func attentionForward(context: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>?,
                      qkv: UnsafePointer<Float>, mask: UnsafePointer<UInt8>, keys: [(count: Int, masked: Bool)],
                      batch: Int, seq: Int, hidden: Int, heads: Int, scratch: UnsafeMutablePointer<Float>,
                      scratchStride: Int) {
    let dh = hidden / heads, ld = 3 * hidden
    let scale = 1 / Float(dh).squareRoot()
    parallelWorkers(batch * heads) { worker, items in
        let s = scratch + worker * scratchStride
        for item in items {
            let (b, h) = item.quotientAndRemainder(dividingBy: heads)
            let q = qkv + b * seq * ld + h * dh
            let k = keys[b]
            bk_attention_head_forward(
                q, q + hidden, q + 2 * hidden, Int32(ld), Int32(seq), Int32(k.count), Int32(dh), scale,
                k.masked ? mask + b * seq : nil, probs.map { $0 + item * seq * seq }, Int32(seq),
                context + b * seq * hidden + h * dh, Int32(hidden), s)
        }
    }
}
