import CBertKit

// transformers modeling_bert.py, BertSelfAttention with eager_attention_forward: per (batch row,
// head), probs = softmax(Q·Kᵀ / sqrt(head size) + mask), context = probs · V, heads concatenated
// back to [T, H]. The kernel skips masked keys instead of adding the large negative mask: the same
// numbers (see Sources/CBertKit/kernels/attention.c), less work, and a padded row equals its text alone.

/// context[T, H] (and probs[B, heads, S, S] when given) from qkv[T, 3H]. `keys[b]`: how many
/// leading keys row b uses, and whether `mask` must also be consulted for holes. `dropout`: the
/// probabilities' mask [B, heads, S, S] and 1/(1-p); `probs` keeps the softmax before it. `bias`:
/// an additive score bias [heads, S, S] for every row (MPNet's relative positions), after the scaling.
func attentionForward(context: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>?,
                      qkv: UnsafePointer<Float>, mask: UnsafePointer<UInt8>, keys: [(count: Int, masked: Bool)],
                      batch: Int, seq: Int, hidden: Int, heads: Int, bias: UnsafePointer<Float>? = nil,
                      dropout: (mask: UnsafeMutableBufferPointer<UInt8>, scale: Float)? = nil, scratch: WorkerScratch) {
    let dh = hidden / heads, ld = 3 * hidden
    let scale = 1 / Float(dh).squareRoot()
    let buffer = scratch.buffer(workers: ComputeThreads.count), stride = scratch.stride
    parallelWorkers(batch * heads) { worker, items in
        let s = buffer + worker * stride
        for item in items {
            let (b, h) = item.quotientAndRemainder(dividingBy: heads)
            let q = qkv + b * seq * ld + h * dh
            let k = keys[b]
            bk_attention_head_forward(
                q, q + hidden, q + 2 * hidden, Int32(ld), Int32(seq), Int32(k.count), Int32(dh), scale,
                k.masked ? mask + b * seq : nil, bias.map { $0 + h * seq * seq }, Int32(seq), probs.map { $0 + item * seq * seq }, Int32(seq),
                dropout.map { UnsafePointer($0.mask.baseAddress! + item * seq * seq) }, dropout?.scale ?? 1,
                context + b * seq * hidden + h * dh, Int32(hidden), s)
        }
    }
}

// Backward for one layer, per (batch row, head): bk_attention_head_backward (attention.c) from the
// saved softmax probabilities and, with dropout, the same mask the forward used. Only the keys the
// forward used enter. A query whose keys are all masked attended uniformly to constants
// (transformers' mask swamps the scores), so its scores get no gradient. dqkv[T, 3H] is written, and
// with `dbias` the scaled scores' gradient [B, heads, S, S] (the additive bias's, before the batch sum).
func attentionBackward(dqkv: UnsafeMutablePointer<Float>, dcontext: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                       qkv: UnsafePointer<Float>, mask: UnsafePointer<UInt8>, keys: [(count: Int, masked: Bool)],
                       batch: Int, seq: Int, hidden: Int, heads: Int, scratch: WorkerScratch,
                       dbias: UnsafeMutablePointer<Float>? = nil, dropout: (mask: UnsafeMutableBufferPointer<UInt8>, scale: Float)? = nil) {
    let dh = hidden / heads, ld = 3 * hidden
    let scale = 1 / Float(dh).squareRoot()
    let buffer = scratch.buffer(workers: ComputeThreads.count), stride = scratch.stride
    parallelWorkers(batch * heads) { worker, items in
        let scratch = buffer + worker * stride
        for item in items {
            let (b, h) = item.quotientAndRemainder(dividingBy: heads)
            let q = qkv + b * seq * ld + h * dh, dq = dqkv + b * seq * ld + h * dh
            let n = keys[b].count, rowMask = mask + b * seq
            let live = !keys[b].masked || (0..<n).contains { rowMask[$0] != 0 }
            bk_attention_head_backward(
                q, q + hidden, q + 2 * hidden, Int32(ld), dcontext + b * seq * hidden + h * dh, Int32(hidden),
                probs + item * seq * seq, Int32(seq), dropout.map { UnsafePointer($0.mask.baseAddress! + item * seq * seq) },
                dropout?.scale ?? 1, Int32(seq), Int32(n), Int32(dh), scale, live ? 1 : 0, dq, dq + hidden, dq + 2 * hidden,
                dbias.map { $0 + item * seq * seq }, Int32(seq), scratch)
        }
    }
}
