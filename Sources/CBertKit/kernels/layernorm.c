// LayerNorm over the last dimension (torch.nn.LayerNorm as transformers' BertEmbeddings,
// BertSelfOutput and BertOutput use it): biased variance, two passes over each row.
#include "bk_kernels.h"
#include "bk_simd.h"

static void layernorm_portable(float *out, float *mean, float *rstd, const float *inp, const float *w,
                               const float *b, int rows, int cols, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * cols;
        float *y = out + (size_t)r * cols;
        float s = 0;
        for (int i = 0; i < cols; i++) s += x[i];
        float m = s / cols, v = 0;
        for (int i = 0; i < cols; i++) v += (x[i] - m) * (x[i] - m);
        float rs = 1.0f / sqrtf(v / cols + eps);
        for (int i = 0; i < cols; i++) y[i] = (x[i] - m) * rs * w[i] + b[i];
        if (mean) mean[r] = m;
        if (rstd) rstd[r] = rs;
    }
}

#if BK_X86
BK_AVX512 static void layernorm_avx512(float *out, float *mean, float *rstd, const float *inp, const float *w,
                                       const float *b, int rows, int cols, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * cols;
        float *y = out + (size_t)r * cols;
        __m512 s = _mm512_setzero_ps();
        for (int i = 0; i < cols; i += 16) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(bk_tail_mask(cols - i), x + i));
        float m = _mm512_reduce_add_ps(s) / cols;
        __m512 vm = _mm512_set1_ps(m), v = _mm512_setzero_ps();
        for (int i = 0; i < cols; i += 16) {
            __mmask16 k = bk_tail_mask(cols - i);
            __m512 d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), vm);
            v = _mm512_fmadd_ps(d, d, v);
        }
        float rs = 1.0f / sqrtf(_mm512_reduce_add_ps(v) / cols + eps);
        __m512 vr = _mm512_set1_ps(rs);
        for (int i = 0; i < cols; i += 16) {
            __mmask16 k = bk_tail_mask(cols - i);
            __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), vr);
            __m512 o = _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(k, w + i), _mm512_maskz_loadu_ps(k, b + i));
            _mm512_mask_storeu_ps(y + i, k, o);
        }
        if (mean) mean[r] = m;
        if (rstd) rstd[r] = rs;
    }
}
#endif

void bk_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                          const float *bias, int rows, int cols, float eps) {
#if BK_X86
    if (bk_use_avx512()) return layernorm_avx512(out, mean, rstd, inp, weight, bias, rows, cols, eps);
#endif
    layernorm_portable(out, mean, rstd, inp, weight, bias, rows, cols, eps);
}
