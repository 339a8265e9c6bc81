// Shared by the kernels: the run-time ISA choice and the polynomial exp and erf, in a portable
// scalar form and an AVX-512 form that evaluate the same formulas.
#ifndef BK_SIMD_H
#define BK_SIMD_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define BK_X86 1
#define BK_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#define BK_AVX512_INLINE static inline __attribute__((always_inline, target("avx512f,avx512dq,avx512bw,avx512vl,fma")))
#endif

/// 1 when the AVX-512 kernels should run (CPU and OS support them and no test forced portable).
int bk_use_avx512(void);

// ---- exp: Cephes' expf (range reduction by ln 2, degree-5 polynomial), ~1 ulp ----------------
#define BK_EXP_HI 88.72283935546875f
#define BK_EXP_LO (-104.0f)  // exp(-104) rounds to 0 in f32
#define BK_LOG2E 1.44269504088896341f
#define BK_LN2_HI 0.693359375f
#define BK_LN2_LO (-2.12194440e-4f)
#define BK_EXP_P0 1.9875691500e-4f
#define BK_EXP_P1 1.3981999507e-3f
#define BK_EXP_P2 8.3334519073e-3f
#define BK_EXP_P3 4.1665795894e-2f
#define BK_EXP_P4 1.6666665459e-1f
#define BK_EXP_P5 5.0000001201e-1f

// ---- erf: two fits, both within ~1e-7 absolute of the true erf -------------------------------
// |x| < 1: erf(x) = x·P(x²), P of degree 5 (Chebyshev interpolation in x², see golden/erf_fit.py).
#define BK_ERF_A0 1.1283791261787373f
#define BK_ERF_A1 (-0.37612343775327806f)
#define BK_ERF_A2 0.11280316652505075f
#define BK_ERF_A3 (-0.02671505423226643f)
#define BK_ERF_A4 0.004921762027877231f
#define BK_ERF_A5 (-0.0005648059865503044f)
// 1 <= |x| < 3.92: erf(|x|) = Q(t), t = (|x| - 2.46) / 1.46, Q of degree 12. Beyond, ±1.
#define BK_ERF_T_SCALE 0.684931506849315f
#define BK_ERF_T_SHIFT (-1.6849315068493151f)
#define BK_ERF_HI 3.92f
static const float bk_erf_q[13] = {
    9.994966464e-01f, 3.877989430e-03f, -1.392967534e-02f, 3.060258344e-02f, -4.502784630e-02f,
    4.508956455e-02f, -2.860312580e-02f, 6.545546569e-03f, 7.880931286e-03f, -9.102396310e-03f,
    2.448028272e-03f, 1.636310179e-03f, -9.146298807e-04f,
};

static inline float bk_exp_scalar(float x) {
    if (x != x) return x;
    if (x > BK_EXP_HI) x = BK_EXP_HI;
    if (x < BK_EXP_LO) x = BK_EXP_LO;
    float n = nearbyintf(x * BK_LOG2E);
    float r = fmaf(-n, BK_LN2_HI, x);
    r = fmaf(-n, BK_LN2_LO, r);
    float y = BK_EXP_P0;
    y = fmaf(y, r, BK_EXP_P1);
    y = fmaf(y, r, BK_EXP_P2);
    y = fmaf(y, r, BK_EXP_P3);
    y = fmaf(y, r, BK_EXP_P4);
    y = fmaf(y, r, BK_EXP_P5);
    y = fmaf(y, r * r, r) + 1.0f;
    return ldexpf(y, (int)n);
}

static inline float bk_erf_scalar(float x) {
    float a = fabsf(x);
    if (a < 1.0f) {
        float u = x * x, p = BK_ERF_A5;
        p = fmaf(p, u, BK_ERF_A4);
        p = fmaf(p, u, BK_ERF_A3);
        p = fmaf(p, u, BK_ERF_A2);
        p = fmaf(p, u, BK_ERF_A1);
        p = fmaf(p, u, BK_ERF_A0);
        return x * p;
    }
    if (a != a) return x;
    if (a >= BK_ERF_HI) return copysignf(1.0f, x);
    float t = fmaf(a, BK_ERF_T_SCALE, BK_ERF_T_SHIFT), q = bk_erf_q[12];
    for (int i = 11; i >= 0; i--) q = fmaf(q, t, bk_erf_q[i]);
    return copysignf(q, x);
}

#if BK_X86
BK_AVX512_INLINE __m512 bk_exp512(__m512 x) {
    // min/max return their second operand when either is NaN, so NaN passes through.
    x = _mm512_min_ps(_mm512_set1_ps(BK_EXP_HI), x);
    x = _mm512_max_ps(_mm512_set1_ps(BK_EXP_LO), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(BK_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(BK_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(BK_LN2_LO), r);
    __m512 y = _mm512_set1_ps(BK_EXP_P0);
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(BK_EXP_P1));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(BK_EXP_P2));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(BK_EXP_P3));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(BK_EXP_P4));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(BK_EXP_P5));
    y = _mm512_add_ps(_mm512_fmadd_ps(y, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(y, n);
}

BK_AVX512_INLINE __m512 bk_erf512(__m512 x) {
    const __m512 sign = _mm512_set1_ps(-0.0f);
    __m512 a = _mm512_andnot_ps(sign, x);
    __mmask16 small = _mm512_cmp_ps_mask(a, _mm512_set1_ps(1.0f), _CMP_LT_OQ);
    __m512 u = _mm512_mul_ps(x, x), p = _mm512_set1_ps(BK_ERF_A5);
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(BK_ERF_A4));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(BK_ERF_A3));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(BK_ERF_A2));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(BK_ERF_A1));
    p = _mm512_fmadd_ps(p, u, _mm512_set1_ps(BK_ERF_A0));
    __m512 inner = _mm512_mul_ps(x, p);
    if (small == 0xFFFF) return inner;
    __m512 t = _mm512_fmadd_ps(a, _mm512_set1_ps(BK_ERF_T_SCALE), _mm512_set1_ps(BK_ERF_T_SHIFT));
    __m512 q = _mm512_set1_ps(bk_erf_q[12]);
    for (int i = 11; i >= 0; i--) q = _mm512_fmadd_ps(q, t, _mm512_set1_ps(bk_erf_q[i]));
    __mmask16 big = _mm512_cmp_ps_mask(a, _mm512_set1_ps(BK_ERF_HI), _CMP_GE_OQ);
    q = _mm512_mask_blend_ps(big, q, _mm512_set1_ps(1.0f));
    // NaN lanes: |x| compares false everywhere and keeps Q(NaN) = NaN; then copy the sign of x.
    __m512 outer = _mm512_or_ps(q, _mm512_and_ps(sign, x));
    return _mm512_mask_blend_ps(small, outer, inner);
}

/// Mask of the first `n` lanes (n in 0...16).
BK_AVX512_INLINE __mmask16 bk_tail_mask(size_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }
#endif

#endif
