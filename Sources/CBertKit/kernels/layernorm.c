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

// ---- backward (llm.c layernorm_backward) -----------------------------------------------------
// With n = (x - mean)·rstd and g = dout·weight: dinp = rstd·(g - mean(g) - n·mean(g·n)) (written),
// dweight += Σ dout·n and dbias += Σ dout over the rows (added). dinp_copy (may be NULL) gets dinp too:
// the residual branch's gradient, saving the caller a pass to copy it.

static void layernorm_backward_portable(float *dinp, float *dinp_copy, float *dweight, float *dbias, const float *dout,
                                        const float *inp, const float *mean, const float *rstd, const float *w,
                                        int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * cols, *dy = dout + (size_t)r * cols;
        float *dx = dinp + (size_t)r * cols;
        float m = mean[r], rs = rstd[r], mg = 0, mgn = 0;
        for (int i = 0; i < cols; i++) {
            float n = (x[i] - m) * rs, g = dy[i] * w[i];
            mg += g;
            mgn += g * n;
        }
        mg /= cols;
        mgn /= cols;
        for (int i = 0; i < cols; i++) {
            float n = (x[i] - m) * rs;
            dbias[i] += dy[i];
            dweight[i] += dy[i] * n;
            dx[i] = rs * (dy[i] * w[i] - mg - n * mgn);
            if (dinp_copy) dinp_copy[(size_t)r * cols + i] = dx[i];
        }
    }
}

#if BK_X86
BK_AVX512 static void layernorm_backward_avx512(float *dinp, float *dinp_copy, float *dweight, float *dbias, const float *dout,
                                                const float *inp, const float *mean, const float *rstd,
                                                const float *w, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * cols, *dy = dout + (size_t)r * cols;
        float *dx = dinp + (size_t)r * cols;
        __m512 vm = _mm512_set1_ps(mean[r]), vr = _mm512_set1_ps(rstd[r]);
        __m512 sg = _mm512_setzero_ps(), sgn = _mm512_setzero_ps();
        for (int i = 0; i < cols; i += 16) {
            __mmask16 k = bk_tail_mask(cols - i);
            __m512 n = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), vr);
            __m512 g = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + i), _mm512_maskz_loadu_ps(k, w + i));
            sg = _mm512_add_ps(sg, g);
            sgn = _mm512_fmadd_ps(g, n, sgn);
        }
        __m512 mg = _mm512_set1_ps(_mm512_reduce_add_ps(sg) / cols);
        __m512 mgn = _mm512_set1_ps(_mm512_reduce_add_ps(sgn) / cols);
        for (int i = 0; i < cols; i += 16) {
            __mmask16 k = bk_tail_mask(cols - i);
            __m512 d = _mm512_maskz_loadu_ps(k, dy + i);
            __m512 n = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vm), vr);
            _mm512_mask_storeu_ps(dbias + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, dbias + i), d));
            _mm512_mask_storeu_ps(dweight + i, k, _mm512_fmadd_ps(d, n, _mm512_maskz_loadu_ps(k, dweight + i)));
            __m512 g = _mm512_sub_ps(_mm512_mul_ps(d, _mm512_maskz_loadu_ps(k, w + i)), mg);
            __m512 o = _mm512_mul_ps(vr, _mm512_fnmadd_ps(n, mgn, g));
            _mm512_mask_storeu_ps(dx + i, k, o);
            if (dinp_copy) _mm512_mask_storeu_ps(dinp_copy + (size_t)r * cols + i, k, o);
        }
    }
}
#endif

void bk_layernorm_backward(float *dinp, float *dinp_copy, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *mean, const float *rstd, const float *weight, int rows,
                           int cols) {
#if BK_X86
    if (bk_use_avx512())
        return layernorm_backward_avx512(dinp, dinp_copy, dweight, dbias, dout, inp, mean, rstd, weight, rows, cols);
#endif
    layernorm_backward_portable(dinp, dinp_copy, dweight, dbias, dout, inp, mean, rstd, weight, rows, cols);
}
