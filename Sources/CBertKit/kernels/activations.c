// The feed-forward activations (transformers' activations.py: GELUActivation, NewGELUActivation /
// PytorchGELUTanh, ReLU, SiLU) and the pooler's tanh.
#include "bk_kernels.h"
#include "bk_simd.h"

#define SQRT1_2 0.70710678118654752f
#define TANH_C0 0.79788456080286536f  // sqrt(2/pi)
#define TANH_C1 0.044715f

static inline float gelu1(float x) { return 0.5f * x * (1.0f + bk_erf_scalar(x * SQRT1_2)); }
static inline float gelu_tanh1(float x) {
    float y = TANH_C0 * fmaf(TANH_C1 * x, x * x, x);
    return x / (1.0f + bk_exp_scalar(-2.0f * y));
}
static inline float silu1(float x) { return x / (1.0f + bk_exp_scalar(-x)); }

#if BK_X86
#define ELEMENTWISE_AVX512(name, body)                                                  \
    BK_AVX512 static void name(float *out, const float *inp, size_t n) {                \
        for (size_t i = 0; i < n; i += 16) {                                           \
            __mmask16 m = bk_tail_mask(n - i);                                          \
            __m512 x = _mm512_maskz_loadu_ps(m, inp + i);                               \
            _mm512_mask_storeu_ps(out + i, m, body);                                    \
        }                                                                              \
    }
ELEMENTWISE_AVX512(gelu_avx512, _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x),
    _mm512_add_ps(_mm512_set1_ps(1.0f), bk_erf512(_mm512_mul_ps(x, _mm512_set1_ps(SQRT1_2))))))
ELEMENTWISE_AVX512(gelu_tanh_avx512, _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f),
    bk_exp512(_mm512_mul_ps(_mm512_set1_ps(-2.0f * TANH_C0),
        _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(TANH_C1), x), _mm512_mul_ps(x, x), x))))))
ELEMENTWISE_AVX512(silu_avx512, _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f),
    bk_exp512(_mm512_sub_ps(_mm512_setzero_ps(), x)))))
ELEMENTWISE_AVX512(relu_avx512, _mm512_max_ps(_mm512_setzero_ps(), x))
#define DISPATCH(fn) if (bk_use_avx512()) return fn(out, inp, n)
#else
#define DISPATCH(fn)
#endif

void bk_gelu_forward(float *out, const float *inp, size_t n) {
    DISPATCH(gelu_avx512);
    for (size_t i = 0; i < n; i++) out[i] = gelu1(inp[i]);
}

void bk_gelu_tanh_forward(float *out, const float *inp, size_t n) {
    DISPATCH(gelu_tanh_avx512);
    for (size_t i = 0; i < n; i++) out[i] = gelu_tanh1(inp[i]);
}

void bk_silu_forward(float *out, const float *inp, size_t n) {
    DISPATCH(silu_avx512);
    for (size_t i = 0; i < n; i++) out[i] = silu1(inp[i]);
}

void bk_relu_forward(float *out, const float *inp, size_t n) {
    DISPATCH(relu_avx512);
    for (size_t i = 0; i < n; i++) out[i] = inp[i] < 0.0f ? 0.0f : inp[i];  // NaN stays NaN
}

void bk_tanh_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

// ---- backward: dinp = dout · act'(x), with the derivatives torch's autograd uses --------------
// gelu: Φ(x) + x·φ(x). gelu_tanh: with s = sigmoid(2y) = (1 + tanh y)/2, torch's
// 0.5(1 + t) + 0.5x(1 - t²)·y' equals s + 2x·s(1 - s)·y', y' = √(2/π)(1 + 3·0.044715x²); the sigmoid
// form avoids tanh's cancellation near 0. silu: s(1 + x(1 - s)), s = sigmoid(x). relu: 1 for x > 0.
#define INV_SQRT_2PI 0.39894228040143268f

static inline float gelu_grad1(float x) {
    return 0.5f * (1.0f + bk_erf_scalar(x * SQRT1_2)) + x * INV_SQRT_2PI * bk_exp_scalar(-0.5f * x * x);
}
static inline float gelu_tanh_grad1(float x) {
    float y = TANH_C0 * fmaf(TANH_C1 * x, x * x, x);
    float s = 1.0f / (1.0f + bk_exp_scalar(-2.0f * y));
    float dy = TANH_C0 * fmaf(3.0f * TANH_C1 * x, x, 1.0f);
    return s + 2.0f * x * s * (1.0f - s) * dy;
}
static inline float silu_grad1(float x) {
    float s = 1.0f / (1.0f + bk_exp_scalar(-x));
    return s * (1.0f + x * (1.0f - s));
}

#if BK_X86
#define GRAD_AVX512(name, body)                                                             \
    BK_AVX512 static void name(float *dinp, const float *dout, const float *inp, size_t n) { \
        const __m512 one = _mm512_set1_ps(1.0f);                                            \
        (void)one;                                                                         \
        for (size_t i = 0; i < n; i += 16) {                                               \
            __mmask16 m = bk_tail_mask(n - i);                                              \
            __m512 x = _mm512_maskz_loadu_ps(m, inp + i), d;                                \
            body;                                                                          \
            _mm512_mask_storeu_ps(dinp + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dout + i), d)); \
        }                                                                                  \
    }
GRAD_AVX512(gelu_grad_avx512, {
    __m512 cdf = _mm512_mul_ps(_mm512_set1_ps(0.5f), _mm512_add_ps(one, bk_erf512(_mm512_mul_ps(x, _mm512_set1_ps(SQRT1_2)))));
    __m512 pdf = bk_exp512(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(-0.5f), x), x));
    d = _mm512_fmadd_ps(_mm512_mul_ps(x, _mm512_set1_ps(INV_SQRT_2PI)), pdf, cdf);
})
GRAD_AVX512(gelu_tanh_grad_avx512, {
    __m512 y = _mm512_mul_ps(_mm512_set1_ps(TANH_C0),
                             _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(TANH_C1), x), _mm512_mul_ps(x, x), x));
    __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, bk_exp512(_mm512_mul_ps(_mm512_set1_ps(-2.0f), y))));
    __m512 dy = _mm512_mul_ps(_mm512_set1_ps(TANH_C0), _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(3.0f * TANH_C1), x), x, one));
    __m512 k = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(2.0f), x), s), _mm512_sub_ps(one, s));
    d = _mm512_fmadd_ps(k, dy, s);
})
GRAD_AVX512(silu_grad_avx512, {
    __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, bk_exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    d = _mm512_mul_ps(s, _mm512_fmadd_ps(x, _mm512_sub_ps(one, s), one));
})
GRAD_AVX512(relu_grad_avx512, {
    d = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), one);
})
#define DISPATCH_GRAD(fn) if (bk_use_avx512()) return fn(dinp, dout, inp, n)
#else
#define DISPATCH_GRAD(fn)
#endif

void bk_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    DISPATCH_GRAD(gelu_grad_avx512);
    for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * gelu_grad1(inp[i]);
}

void bk_gelu_tanh_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    DISPATCH_GRAD(gelu_tanh_grad_avx512);
    for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * gelu_tanh_grad1(inp[i]);
}

void bk_silu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    DISPATCH_GRAD(silu_grad_avx512);
    for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * silu_grad1(inp[i]);
}

void bk_relu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    DISPATCH_GRAD(relu_grad_avx512);
    for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * (inp[i] > 0.0f ? 1.0f : 0.0f);
}
