import CBertKit

// transformers modeling_bert.py, BertSelfAttention with eager_attention_forward: per (batch row,
// head), probs = softmax(Q·Kᵀ / sqrt(head size) + mask), context = probs · V, heads concatenated
// back to [T, H]. The kernel skips masked keys instead of adding the large negative mask: the same
// numbers (see Sources/CBertKit/kernels/attention.c), less work, and a padded row equals its text alone.

/// context[T, H] (and probs[B, heads, S, S] when given) from qkv[T, 3H]. `keys[b]`: how many
/// leading keys row b uses, and whether `mask` must also be consulted for holes. `dropout`: the
/// probabilities' mask [B, heads, S, S] and 1/(1-p); `probs` keeps the softmax before it.
func attentionForward(context: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>?,
                      qkv: UnsafePointer<Float>, mask: UnsafePointer<UInt8>, keys: [(count: Int, masked: Bool)],
                      batch: Int, seq: Int, hidden: Int, heads: Int,
                      dropout: (mask: UnsafeMutableBufferPointer<UInt8>, scale: Float)? = nil,
                      scratch: UnsafeMutablePointer<Float>, scratchStride: Int) {
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
                dropout.map { UnsafePointer($0.mask.baseAddress! + item * seq * seq) }, dropout?.scale ?? 1,
                context + b * seq * hidden + h * dh, Int32(hidden), s)
        }
    }
}

// Backward for one layer, per (batch row, head), from the saved probabilities P = softmax(S) and,
// with dropout, the mask M and its scale c (the context used P' = c·M ⊙ P):
// dP' = dctx · Vᵀ, dV = P'ᵀ · dctx, dP = c·M ⊙ dP', dS = P ⊙ (dP - rowsum(P ⊙ dP)),
// dQ = scale · dS · K, dK = scale · dSᵀ · Q.
// Only the keys the forward used enter (P is zero for the skipped ones). A query whose keys are all
// masked attended uniformly to constants (transformers' mask swamps the scores), so its scores get
// no gradient. dqkv[T, 3H] is written (not added).
func attentionBackward(dqkv: UnsafeMutablePointer<Float>, dcontext: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                       qkv: UnsafePointer<Float>, mask: UnsafePointer<UInt8>, keys: [(count: Int, masked: Bool)],
                       batch: Int, seq: Int, hidden: Int, heads: Int,
                       dropout: (mask: UnsafeMutableBufferPointer<UInt8>, scale: Float)? = nil) {
    let dh = hidden / heads, ld = 3 * hidden
    let scale = 1 / Float(dh).squareRoot()
    let lp = (seq + 15) & ~15
    parallelWorkers(batch * heads) { _, items in
        // Vᵀ of this head, zero-padded to whole vectors of 16 keys, and one row of dP: dP's row is
        // then 16 keys per FMA with no horizontal sums.
        var scratch = [Float](repeating: 0, count: dh * lp + lp)
        scratch.withUnsafeMutableBufferPointer { sb in
            let vt = sb.baseAddress!, dp = vt + dh * lp
            for item in items {
                let (b, h) = item.quotientAndRemainder(dividingBy: heads)
                let q = qkv + b * seq * ld + h * dh, k = q + hidden, v = q + 2 * hidden
                let dq = dqkv + b * seq * ld + h * dh, dk = dq + hidden, dv = dq + 2 * hidden
                let dc = dcontext + b * seq * hidden + h * dh
                let p = probs + item * seq * seq
                let drop = dropout.map { $0.mask.baseAddress! + item * seq * seq }, c = dropout?.scale ?? 1
                let n = keys[b].count, nv = (n + 15) & ~15
                let rowMask = mask + b * seq
                let scoresLive = !keys[b].masked || (0..<n).contains { rowMask[$0] != 0 }
                for d in 0..<dh {
                    let row = vt + d * lp
                    for j in 0..<n { row[j] = v[j * ld + d] }
                    for j in n..<nv { row[j] = 0 }
                }
                for i in 0..<seq { for d in 0..<dh { dq[i * ld + d] = 0; dk[i * ld + d] = 0; dv[i * ld + d] = 0 } }
                for i in 0..<seq {
                    let pi = p + i * seq, dci = dc + i * hidden
                    // dP[i, :] = Σ_d dctx[i, d] · Vᵀ[d, :]
                    var j = 0
                    while j < nv {
                        var acc = SIMD16<Float>()
                        for d in 0..<dh { acc += dci[d] * UnsafeRawPointer(vt + d * lp + j).loadUnaligned(as: SIMD16<Float>.self) }
                        UnsafeMutableRawPointer(dp + j).storeBytes(of: acc, as: SIMD16<Float>.self)
                        j += 16
                    }
                    var dot: Float = 0
                    if let drop {
                        let mi = drop + i * seq
                        for j in 0..<n {
                            let kept = mi[j] != 0 ? c : 0
                            dp[j] *= kept
                            dot += pi[j] * dp[j]
                            addScaled(dv + j * ld, pi[j] * kept, dci, dh)
                        }
                    } else {
                        for j in 0..<n {
                            dot += pi[j] * dp[j]
                            addScaled(dv + j * ld, pi[j], dci, dh)
                        }
                    }
                    guard scoresLive else { continue }
                    let qi = q + i * ld, dqi = dq + i * ld
                    for j in 0..<n where pi[j] != 0 {
                        let ds = pi[j] * (dp[j] - dot) * scale
                        addScaled(dqi, ds, k + j * ld, dh)
                        addScaled(dk + j * ld, ds, qi, dh)
                    }
                }
            }
        }
    }
}

/// y[d] += alpha·x[d].
@inline(__always)
private func addScaled(_ y: UnsafeMutablePointer<Float>, _ alpha: Float, _ x: UnsafePointer<Float>, _ n: Int) {
    var d = 0
    while d + 16 <= n {
        let raw = UnsafeMutableRawPointer(y + d)
        let v = raw.loadUnaligned(as: SIMD16<Float>.self) + alpha * UnsafeRawPointer(x + d).loadUnaligned(as: SIMD16<Float>.self)
        raw.storeBytes(of: v, as: SIMD16<Float>.self)
        d += 16
    }
    while d < n { y[d] += alpha * x[d]; d += 1 }
}
