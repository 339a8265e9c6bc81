import CBertKit

// transformers modeling_bert.py, BertPooler: tanh(dense(hidden[:, 0])).

/// out[B, H] from the first token of each row of hidden[B, S, H].
func poolerForward(out: UnsafeMutablePointer<Float>, hidden: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                   bias: UnsafePointer<Float>, batch: Int, seq: Int, features h: Int) {
    linearBiasRows(out: out, bias: bias, rows: 0..<batch, cols: h)
    linearAccumulate(out: out, inp: hidden, inpStride: seq * h, weight: weight, rows: batch, inFeatures: h, outFeatures: h)
    bk_tanh_forward(out, out, batch * h)
}
