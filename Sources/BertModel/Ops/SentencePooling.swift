import BertFormats

// sentence-transformers models/Pooling.py (cls, mean, max, mean_sqrt_len over the tokens whose
// attention mask is 1) and models/Normalize.py (F.normalize: x / max(‖x‖₂, 1e-12)).

/// out[B, H] from hidden[B, S, H] and mask[B, S].
func sentencePoolingForward(out: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>, mask: UnsafePointer<UInt8>,
                            pooling: SentencePooling, batch: Int, seq: Int, features h: Int) {
    for b in 0..<batch {
        let o = out + b * h, rows = hidden + b * seq * h, m = mask + b * seq
        switch pooling.mode {
        case .cls:
            o.update(from: rows, count: h)
        case .mean, .meanSqrtLen:
            o.update(repeating: 0, count: h)
            var n: Float = 0
            for s in 0..<seq where m[s] != 0 {
                n += 1
                let r = rows + s * h
                for j in 0..<h { o[j] += r[j] }
            }
            // Pooling.py clamps the token count at 1e-9.
            let d = pooling.mode == .mean ? max(n, 1e-9) : max(n, 1e-9).squareRoot()
            for j in 0..<h { o[j] /= d }
        case .max:
            // Pooling.py sets padded tokens to -1e9 before taking the max.
            o.update(repeating: -1e9, count: h)
            for s in 0..<seq where m[s] != 0 {
                let r = rows + s * h
                for j in 0..<h where r[j] > o[j] || r[j].isNaN { o[j] = r[j] }
            }
        }
        if pooling.normalize {
            var ss: Float = 0
            for j in 0..<h { ss += o[j] * o[j] }
            let d = max(ss.squareRoot(), 1e-12)
            for j in 0..<h { o[j] /= d }
        }
    }
}

/// Sentence pooling applied after the fact, for a model without sentence-transformers files.
public enum SentenceEmbedding {
    /// Row `b` of `out` pooled with `pooling`.
    public static func pool(_ out: BertOutput, row b: Int, pooling: SentencePooling) -> [Float] {
        let h = out.hidden, s = out.seq
        var result = [Float](repeating: 0, count: h)
        out.lastHiddenState.withUnsafeBufferPointer { hidden in
            out.attentionMask.withUnsafeBufferPointer { mask in
                result.withUnsafeMutableBufferPointer { r in
                    sentencePoolingForward(out: r.baseAddress!, hidden: hidden.baseAddress! + b * s * h,
                                           mask: mask.baseAddress! + b * s, pooling: pooling, batch: 1, seq: s, features: h)
                }
            }
        }
        return result
    }
}
