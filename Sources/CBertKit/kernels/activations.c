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
