import CBertKit

// transformers modeling_bert.py, BertPooler: tanh(dense(hidden[:, 0])).

/// out[B, H] from the first token of each row of hidden[B, S, H].
func poolerForward(out: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                   bias: UnsafePointer<Float>, batch: Int, seq: Int, features h: Int) {
    linearBiasRows(out: out, bias: bias, rows: 0..<batch, cols: h)
    linearAccumulate(out: out, inp: hidden, inpStride: seq * h, weight: weight, rows: batch, inFeatures: h, outFeatures: h)
    bk_tanh_forward(out, out, batch * h)
}

// Backward: through tanh (1 - out²), then the dense on each row's first token.
// dhidden[B, S, H] (row b·S only) += dpre · weight; dweight += dpreᵀ · hidden[:, 0]; dbias += Σ dpre.
// `dpre` [B, H] is scratch.
func poolerBackward(dhidden: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                    dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, out: UnsafePointer<Float>,
                    hidden: UnsafePointer<Float>, weight: UnsafePointer<Float>, dpre: UnsafeMutablePointer<Float>,
                    batch: Int, seq: Int, features h: Int) {
    for i in 0..<batch * h { dpre[i] = dout[i] * (1 - out[i] * out[i]) }
    linearBackward(dinp: dhidden, dinpStride: seq * h, dweight: dweight, dbias: dbias, dout: dpre, inp: hidden,
                   inpStride: seq * h, weight: weight, rows: batch, inFeatures: h, outFeatures: h)
}
