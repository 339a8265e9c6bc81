import BertFormats
import Foundation

// sentence-transformers' modules after the Transformer: models/Pooling.py (`_forward_padded`: cls,
// mean, max, mean_sqrt_len over the tokens whose attention mask is 1, the first `prompt_length`
// positions masked out when include_prompt is false), models/Dense.py (activation(linear(x))) and
// models/Normalize.py (F.normalize: x / max(‖x‖₂, 1e-12)).

/// out[B, H] from hidden[B, S, H] and mask[B, S]; with `skip` > 0 the first `skip` positions of
/// every row count as masked.
func sentencePoolingForward(out: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>, mask: UnsafePointer<UInt8>,
                            pooling: SentencePooling, skip: Int = 0, batch: Int, seq: Int, features h: Int) {
    for b in 0..<batch {
        let o = out + b * h, rows = hidden + b * seq * h, m = mask + b * seq
        let real = { (s: Int) in s >= skip && m[s] != 0 }
        switch pooling.mode {
        case .cls:
            // Pooling.py takes the first position the mask keeps (argmax of the mask; 0 when none is).
            let first = (0..<seq).first(where: real) ?? 0
            o.update(from: rows + first * h, count: h)
        case .mean, .meanSqrtLen:
            o.update(repeating: 0, count: h)
            var n: Float = 0
            for s in 0..<seq where real(s) {
                n += 1
                let r = rows + s * h
                for j in 0..<h { o[j] += r[j] }
            }
            // Pooling.py clamps the token count at 1e-9.
            let d = pooling.mode == .mean ? max(n, 1e-9) : max(n, 1e-9).squareRoot()
            for j in 0..<h { o[j] /= d }
        case .max:
            // Pooling.py sets masked tokens to -1e9 before taking the max (-inf since sentence-transformers 5:
            // the same unless a row has no token at all).
            o.update(repeating: -1e9, count: h)
            for s in 0..<seq where real(s) {
                let r = rows + s * h
                for j in 0..<h where r[j] > o[j] || r[j].isNaN { o[j] = r[j] }
            }
        }
    }
}

/// out[B, N] = activation(inp[B, K] · weight[N, K]ᵀ + bias[N]).
func denseForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                  bias: UnsafePointer<Float>?, activation: DenseModule.Activation, rows: Int, inFeatures k: Int, outFeatures n: Int) {
    for r in 0..<rows {
        if let bias { (out + r * n).update(from: bias, count: n) } else { (out + r * n).update(repeating: 0, count: n) }
    }
    linearAccumulate(out: out, inp: inp, weight: weight, rows: rows, inFeatures: k, outFeatures: n)
    if activation == .tanh { for i in 0..<rows * n { out[i] = tanh(out[i]) } }
}

/// Each row of x[B, N] divided by max(its L2 norm, 1e-12), in place.
func normalizeRows(_ x: UnsafeMutablePointer<Float>, rows: Int, features n: Int) {
    for r in 0..<rows {
        let o = x + r * n
        var ss: Float = 0
        for j in 0..<n { ss += o[j] * o[j] }
        let d = max(ss.squareRoot(), 1e-12)
        for j in 0..<n { o[j] /= d }
    }
}

extension BertModel {
    /// out[B, D] from the last hidden state: Pooling, then each Dense and Normalize in
    /// modules.json order, then the first `truncate_dim` values.
    func sentenceModulesForward(out: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>, mask: UnsafePointer<UInt8>,
                                promptLength: Int, batch: Int, seq: Int) {
        guard let st = sentenceTransformers, let pooling = st.pooling else { return }
        var width = config.hiddenSize
        var x = [Float](repeating: 0, count: batch * width)
        x.withUnsafeMutableBufferPointer { p in
            sentencePoolingForward(out: p.baseAddress!, hidden: hidden, mask: mask, pooling: pooling,
                                   skip: pooling.includePrompt ? 0 : promptLength, batch: batch, seq: seq, features: width)
        }
        for m in st.modules.dropFirst() {
            switch m.kind {
            case .dense(let d):
                let w = denseWeights[m.path]!
                var y = [Float](repeating: 0, count: batch * d.outFeatures)
                y.withUnsafeMutableBufferPointer { yp in
                    x.withUnsafeBufferPointer { xp in
                        w.weight.withUnsafeBufferPointer { wp in
                            w.bias.withUnsafeBufferPointer { bp in
                                denseForward(out: yp.baseAddress!, inp: xp.baseAddress!, weight: wp.baseAddress!,
                                             bias: d.bias ? bp.baseAddress! : nil, activation: d.activation, rows: batch,
                                             inFeatures: width, outFeatures: d.outFeatures)
                            }
                        }
                    }
                }
                (x, width) = (y, d.outFeatures)
            case .normalize:
                x.withUnsafeMutableBufferPointer { normalizeRows($0.baseAddress!, rows: batch, features: width) }
            case .pooling:
                break  // only first (SentenceTransformersSettings.problem)
            }
        }
        let d = sentenceDimension
        for b in 0..<batch { for j in 0..<d { out[b * d + j] = x[b * width + j] } }
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
