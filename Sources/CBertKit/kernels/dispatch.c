#include <stdatomic.h>
#include "bk_simd.h"
#include "bk_blas.h"
#include "bk_kernels.h"

// Atomic: the first forward asks from every worker thread at once (a data race under TSan).
static _Atomic int forced_portable;

int bk_use_avx512(void) {
#if BK_X86
    static _Atomic int has = -1;
    int h = atomic_load_explicit(&has, memory_order_relaxed);
    if (h < 0) {
        h = bk_cpu_has_avx512();
        atomic_store_explicit(&has, h, memory_order_relaxed);
    }
    return h && !atomic_load_explicit(&forced_portable, memory_order_relaxed);
#else
    return 0;
#endif
}

const char *bk_kernels_isa(void) { return bk_use_avx512() ? "avx512" : "portable"; }
void bk_kernels_force_portable(int on) { atomic_store_explicit(&forced_portable, on, memory_order_relaxed); }

#if BK_X86
BK_AVX512 static void erf_avx512(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = bk_tail_mask(n - i);
        _mm512_mask_storeu_ps(out + i, m, bk_erf512(_mm512_maskz_loadu_ps(m, in + i)));
    }
}
BK_AVX512 static void exp_avx512(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = bk_tail_mask(n - i);
        _mm512_mask_storeu_ps(out + i, m, bk_exp512(_mm512_maskz_loadu_ps(m, in + i)));
    }
}
#endif

void bk_erf(float *out, const float *in, size_t n) {
#if BK_X86
    if (bk_use_avx512()) return erf_avx512(out, in, n);
#endif
    for (size_t i = 0; i < n; i++) out[i] = bk_erf_scalar(in[i]);
}

void bk_exp(float *out, const float *in, size_t n) {
#if BK_X86
    if (bk_use_avx512()) return exp_avx512(out, in, n);
#endif
    for (size_t i = 0; i < n; i++) out[i] = bk_exp_scalar(in[i]);
}
