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

/// Backward (llm.c layernorm_backward) of rows 0..<rows on every worker: with n = (x - mean)·rstd
/// and g = dout·weight, dinp = rstd·(g - mean(g) - n·mean(g·n)) is written (not added), and to
/// `dinpCopy` too when given (the residual branch's copy; it may be `dout`). dweight += Σ dout·n and
/// dbias += Σ dout are added: each worker sums its rows into its own pair, and the pairs are added
/// in worker order, so the bits are the same for a given thread count.
func layerNormBackward(dinp: UnsafeMutablePointer<Float>, dinpCopy: UnsafeMutablePointer<Float>? = nil,
                       dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                       mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       rows: Int, cols: Int) {
    let workers = min(ComputeThreads.count, max(1, rows / 16))
    if workers <= 1 {
        bk_layernorm_backward(dinp, dinpCopy, dweight, dbias, dout, inp, mean, rstd, weight, Int32(rows), Int32(cols))
        return
    }
    // Per worker: [dweight | dbias] partial sums.
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: workers * 2 * cols)
    defer { partial.deallocate() }
    partial.initialize(repeating: 0, count: workers * 2 * cols)
    parallelWorkers(workers) { w, _ in
        let r0 = rows * w / workers, r1 = rows * (w + 1) / workers, pw = partial + w * 2 * cols
        bk_layernorm_backward(dinp + r0 * cols, dinpCopy.map { $0 + r0 * cols }, pw, pw + cols, dout + r0 * cols,
                              inp + r0 * cols, mean + r0, rstd + r0, weight, Int32(r1 - r0), Int32(cols))
    }
    for w in 0..<workers {
        let pw = partial + w * 2 * cols
        for i in 0..<cols {
            dweight[i] += pw[i]
            dbias[i] += pw[cols + i]
        }
    }
}
