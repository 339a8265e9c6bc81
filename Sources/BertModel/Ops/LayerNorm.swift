import CBertKit

// torch.nn.LayerNorm over the hidden dimension, as BertEmbeddings, BertSelfOutput and BertOutput
// use it (eps = config.layer_norm_eps).

/// Rows `rows` of out[T, C] = (inp - mean) / sqrt(var + eps) * weight + bias. Saves each row's mean
/// and 1/std in mean[T], rstd[T] (for the backward). `out` may be `inp`.
func layerNormForward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?,
                      rstd: UnsafeMutablePointer<Float>?, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      bias: UnsafePointer<Float>, rows: Range<Int>, cols: Int, eps: Float) {
    let r = rows.lowerBound
    bk_layernorm_forward(out + r * cols, mean.map { $0 + r }, rstd.map { $0 + r }, inp + r * cols, weight, bias,
                         Int32(rows.count), Int32(cols), eps)
}
