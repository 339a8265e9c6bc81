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

// Backward (llm.c layernorm_backward), rows `rows`: with n = (x - mean)·rstd and g = dout·weight,
// dinp = rstd·(g - mean(g) - n·mean(g·n)). dinp[T, C] is written (not added); dweight += Σ dout·n,
// dbias += Σ dout are added, so callers running rows in parallel pass each worker its own pair.
func layerNormBackward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                       dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                       mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       rows: Range<Int>, cols: Int) {
    for r in rows {
        let x = inp + r * cols, dy = dout + r * cols, dx = dinp + r * cols
        let m = mean[r], rs = rstd[r]
        var meanG: Float = 0, meanGN: Float = 0
        for i in 0..<cols {
            let n = (x[i] - m) * rs, g = dy[i] * weight[i]
            meanG += g
            meanGN += g * n
        }
        meanG /= Float(cols)
        meanGN /= Float(cols)
        for i in 0..<cols {
            let n = (x[i] - m) * rs
            dbias[i] += dy[i]
            dweight[i] += dy[i] * n
            dx[i] = rs * (dy[i] * weight[i] - meanG - n * meanGN)
        }
    }
}
