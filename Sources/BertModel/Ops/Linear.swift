import BertTensors
import CBertKit

// torch.nn.Linear (every dense in modeling_bert.py): out[T, N] = inp[T, K] · weightᵀ + bias, with
// weight stored [N, K] as transformers stores it. Done in two steps so the bias (and a residual)
// rows are written inside a parallel pass the forward makes anyway: `linearBiasRows`, then
// `linearAccumulate`, a GEMM that adds into them (beta = 1; OpenBLAS would otherwise spend the
// same pass zeroing `out`).

/// Rows `rows` of out[T, N] = bias (+ residual[T, N]).
func linearBiasRows(out: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil,
                    rows: Range<Int>, cols: Int) {
    let r = rows.lowerBound
    bk_bias_rows_forward(out + r * cols, bias, residual.map { $0 + r * cols }, Int32(rows.count), Int32(cols))
}

/// out[M, N] += inp[M, K] · weight[N, K]ᵀ, on OpenBLAS's threads. `inpStride` is the distance
/// between input rows (K, or more to pick every seq-th row as the pooler does).
func linearAccumulate(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, inpStride: Int? = nil,
                      weight: UnsafePointer<Float>, rows m: Int, inFeatures k: Int, outFeatures n: Int) {
    BLAS.sgemm(transB: true, m: m, n: n, k: k, a: inp, lda: inpStride ?? k, b: weight, ldb: k, beta: 1, c: out, ldc: n)
}

// Backward of out = inp · weightᵀ + bias. Adds into every gradient (llm.c's matmul_backward), except
// dinp when `overwrite` (a fresh buffer: the GEMM writes it instead of the caller zeroing it first).
// dinp[M, K] += dout[M, N] · weight[N, K];  dweight[N, K] += doutᵀ · inp;  dbias[N] += Σ rows dout.
func linearBackward(dinp: UnsafeMutablePointer<Float>?, dinpStride: Int? = nil, overwrite: Bool = false,
                    dweight: UnsafeMutablePointer<Float>,
                    dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                    inpStride: Int? = nil, weight: UnsafePointer<Float>, rows m: Int, inFeatures k: Int,
                    outFeatures n: Int) {
    if let dinp {
        BLAS.sgemm(m: m, n: k, k: n, a: dout, lda: n, b: weight, ldb: k, beta: overwrite ? 0 : 1, c: dinp, ldc: dinpStride ?? k)
    }
    BLAS.sgemm(transA: true, m: n, n: k, k: m, a: dout, lda: n, b: inp, ldb: inpStride ?? k, beta: 1, c: dweight, ldc: k)
    if let dbias { columnSums(into: dbias, dout, rows: m, cols: n) }
}

/// into[c] += Σ_r x[r, c] for the `cols` columns of x[rows, stride] (stride defaults to cols), rows
/// added in order. Workers own column ranges (multiples of 16), so the bits do not depend on the
/// thread count.
func columnSums(into: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int, stride: Int? = nil) {
    let blocks = (cols + 15) / 16, ld = stride ?? cols
    parallelFor(blocks, grain: max(1, 16_384 / max(rows, 1))) { range in
        let c0 = range.lowerBound * 16, c1 = min(range.upperBound * 16, cols)
        bk_column_sums(into + c0, x + c0, Int32(rows), Int32(c1 - c0), Int32(ld))
    }
}
