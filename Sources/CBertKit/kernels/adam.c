// Adam / AdamW as torch.optim's _single_tensor_adam computes them (amsgrad and maximize off), one
// IEEE f32 operation per step of torch's formula and in its order, so the result has torch's bits.
// Contraction into FMAs would change them: it is off here, and the AVX-512 path uses separate
// mul/add intrinsics (the tests check both paths agree bit for bit).
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
#include "bk_kernels.h"
#include "bk_simd.h"

// The sum of squares in f64 over 16 lanes (lane j takes the elements i ≡ j mod 16), then the lanes
// added in order: one fixed order on both paths. Products of f32 values are exact in f64, so an
// FMA or a mul + add round the same.
static double lanes_sum(const double acc[16]) {
    double s = 0;
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
}

static double sum_squares_portable(const float *x, size_t n) {
    double acc[16] = {0};
    for (size_t i = 0; i < n; i++) acc[i & 15] += (double)x[i] * (double)x[i];
    return lanes_sum(acc);
}

static void adam_portable(float *params, const float *grads, float *m, float *v, size_t n, const bk_adam_step *s,
                          double *sumsq) {
    double acc[16] = {0};
    for (size_t i = 0; i < n; i++) {
        float p = params[i], g = grads[i];
        if (sumsq) acc[i & 15] += (double)g * (double)g;
        if (s->l2 != 0) g = g + s->l2 * p;
        if (s->decay != 1) p = p * s->decay;
        // torch: exp_avg.lerp_(grad, 1 - beta1), i.e. m + w·(g - m) for w < 0.5.
        float mi = m[i] + s->one_minus_beta1 * (g - m[i]);
        float t = s->one_minus_beta2 * g;
        float vi = v[i] * s->beta2 + t * g;
        float denom = sqrtf(vi) / s->bias_correction2_sqrt + s->eps;
        m[i] = mi;
        v[i] = vi;
        params[i] = p - s->step_size * (mi / denom);
    }
    if (sumsq) *sumsq = lanes_sum(acc);
}

#if BK_X86
BK_AVX512_INLINE void square_into(__m512 g, __m512d *lo, __m512d *hi) {
    __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(g)), b = _mm512_cvtps_pd(_mm512_extractf32x8_ps(g, 1));
    *lo = _mm512_add_pd(*lo, _mm512_mul_pd(a, a));
    *hi = _mm512_add_pd(*hi, _mm512_mul_pd(b, b));
}

BK_AVX512 static double lanes_sum512(__m512d lo, __m512d hi) {
    double acc[16];
    _mm512_storeu_pd(acc, lo);
    _mm512_storeu_pd(acc + 8, hi);
    return lanes_sum(acc);
}

BK_AVX512 static double sum_squares_avx512(const float *x, size_t n) {
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += 16) square_into(_mm512_maskz_loadu_ps(bk_tail_mask(n - i), x + i), &lo, &hi);
    return lanes_sum512(lo, hi);
}

BK_AVX512 static void adam_avx512(float *params, const float *grads, float *m, float *v, size_t n,
                                  const bk_adam_step *s, double *sumsq) {
    const __m512 l2 = _mm512_set1_ps(s->l2), decay = _mm512_set1_ps(s->decay), w1 = _mm512_set1_ps(s->one_minus_beta1);
    const __m512 w2 = _mm512_set1_ps(s->one_minus_beta2), b2 = _mm512_set1_ps(s->beta2);
    const __m512 bc2 = _mm512_set1_ps(s->bias_correction2_sqrt), eps = _mm512_set1_ps(s->eps);
    const __m512 step = _mm512_set1_ps(s->step_size);
    const int use_l2 = s->l2 != 0, use_decay = s->decay != 1;
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = bk_tail_mask(n - i);
        __m512 p = _mm512_maskz_loadu_ps(k, params + i), g = _mm512_maskz_loadu_ps(k, grads + i);
        __m512 mi = _mm512_maskz_loadu_ps(k, m + i), vi = _mm512_maskz_loadu_ps(k, v + i);
        if (sumsq) square_into(g, &lo, &hi);
        if (use_l2) g = _mm512_add_ps(g, _mm512_mul_ps(l2, p));
        if (use_decay) p = _mm512_mul_ps(p, decay);
        mi = _mm512_add_ps(mi, _mm512_mul_ps(w1, _mm512_sub_ps(g, mi)));
        vi = _mm512_add_ps(_mm512_mul_ps(vi, b2), _mm512_mul_ps(_mm512_mul_ps(w2, g), g));
        __m512 denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), bc2), eps);
        p = _mm512_sub_ps(p, _mm512_mul_ps(step, _mm512_div_ps(mi, denom)));
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
        _mm512_mask_storeu_ps(params + i, k, p);
    }
    if (sumsq) *sumsq = lanes_sum512(lo, hi);
}
#endif

double bk_sum_squares(const float *x, size_t n) {
#if BK_X86
    if (bk_use_avx512()) return sum_squares_avx512(x, n);
#endif
    return sum_squares_portable(x, n);
}

void bk_adam_update(float *params, const float *grads, float *exp_avg, float *exp_avg_sq, size_t n,
                    const bk_adam_step *step, double *sumsq) {
#if BK_X86
    if (bk_use_avx512()) return adam_avx512(params, grads, exp_avg, exp_avg_sq, n, step, sumsq);
#endif
    adam_portable(params, grads, exp_avg, exp_avg_sq, n, step, sumsq);
}
