// Dropout (torch.nn.functional.dropout in training): y = x · m / (1 - p), m ~ Bernoulli(1 - p).
// Masks come from a counter-based generator: element i of a mask filled with `key` keeps its value
// iff the top 24 bits of mix64(key + i·φ) are at least p·2²⁴. Any range of any mask can be filled by
// any thread in any order with the same result, and a step's masks follow from (seed, step) alone,
// so a resumed run drops exactly what the uninterrupted run would have. The backward of dropout is
// the same product on the gradient, so one kernel serves both.
#include "bk_kernels.h"
#include "bk_simd.h"

#define GOLDEN 0x9E3779B97F4A7C15ull

// MurmurHash3's 64-bit finaliser: every input bit flips each output bit with probability ~1/2.
static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCDull;
    z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53ull;
    return z ^ (z >> 33);
}

uint64_t bk_dropout_key(uint64_t seed, uint64_t stream) { return mix64(mix64(seed ^ GOLDEN) + stream * GOLDEN); }

uint32_t bk_dropout_threshold(float p) {
    if (!(p > 0)) return 0;
    if (p >= 1) return 1u << 24;  // nothing kept
    double t = (double)p * 16777216.0 + 0.5;
    return (uint32_t)t;
}

static void mask_portable(uint8_t *mask, size_t n, uint64_t key, uint64_t first, uint32_t threshold) {
    for (size_t i = 0; i < n; i++) mask[i] = (uint32_t)(mix64(key + (first + i) * GOLDEN) >> 40) >= threshold;
}

static void apply_portable(float *out, const float *inp, const uint8_t *mask, float scale, const float *residual,
                           size_t n) {
    for (size_t i = 0; i < n; i++) {
        float y = inp[i] * (mask[i] ? scale : 0.0f);  // torch multiplies too: a dropped NaN stays NaN
        out[i] = residual ? y + residual[i] : y;
    }
}

#if BK_X86
BK_AVX512_INLINE __m512i mix64_512(__m512i z) {
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 33)), _mm512_set1_epi64((long long)0xFF51AFD7ED558CCDull));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 33)), _mm512_set1_epi64((long long)0xC4CEB9FE1A85EC53ull));
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 33));
}

BK_AVX512 static void mask_avx512(uint8_t *mask, size_t n, uint64_t key, uint64_t first, uint32_t threshold) {
    const __m512i step = _mm512_set1_epi64((long long)(8 * GOLDEN)), t = _mm512_set1_epi64(threshold);
    __m512i z = _mm512_add_epi64(_mm512_set1_epi64((long long)(key + first * GOLDEN)),
                                 _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7),
                                                    _mm512_set1_epi64((long long)GOLDEN)));
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __mmask8 keep = _mm512_cmpge_epu64_mask(_mm512_srli_epi64(mix64_512(z), 40), t);
        _mm_storel_epi64((__m128i *)(mask + i), _mm_maskz_set1_epi8(keep, 1));
        z = _mm512_add_epi64(z, step);
    }
    if (i < n) mask_portable(mask + i, n - i, key, first + i, threshold);
}

BK_AVX512 static void apply_avx512(float *out, const float *inp, const uint8_t *mask, float scale,
                                   const float *residual, size_t n) {
    const __m512 s = _mm512_set1_ps(scale);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = bk_tail_mask(n - i);
        __m128i b = _mm_maskz_loadu_epi8(k, mask + i);
        __mmask16 keep = _mm_test_epi8_mask(b, b);
        __m512 y = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, inp + i), _mm512_maskz_mov_ps(keep, s));
        if (residual) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(k, residual + i));
        _mm512_mask_storeu_ps(out + i, k, y);
    }
}
#endif

void bk_dropout_mask(uint8_t *mask, size_t n, uint64_t key, uint64_t first, uint32_t threshold) {
#if BK_X86
    if (bk_use_avx512()) return mask_avx512(mask, n, key, first, threshold);
#endif
    mask_portable(mask, n, key, first, threshold);
}

void bk_dropout_apply(float *out, const float *inp, const uint8_t *mask, float scale, const float *residual,
                      size_t n) {
#if BK_X86
    if (bk_use_avx512()) return apply_avx512(out, inp, mask, scale, residual, n);
#endif
    apply_portable(out, inp, mask, scale, residual, n);
}
