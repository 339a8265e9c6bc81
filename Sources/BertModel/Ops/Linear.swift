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
