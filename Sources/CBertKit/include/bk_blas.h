#ifndef BK_BLAS_H
#define BK_BLAS_H
#include <stddef.h>

/// Loads OpenBLAS at run time. Before it does, it points OpenBLAS at its AVX-512 kernels when the
/// CPU and OS support them (its Zen kernels on Zen 4, which are faster there) and the user has not
/// set OPENBLAS_CORETYPE, and makes idle OpenBLAS threads sleep at once (OPENBLAS_THREAD_TIMEOUT):
/// OpenBLAS reads these variables
/// once, in a library constructor, so they must be set before the library is loaded, which is why
/// bertkit does not link OpenBLAS at build time. Returns 0, or -1 with a message in `error`.
int bk_blas_load(char *error, size_t error_len);

/// Row-major C = alpha * op(A) * op(B) + beta * C. `trans_a`/`trans_b` are 0 or 1.
void bk_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
void bk_blas_set_threads(int n);
int bk_blas_threads(void);
/// OpenBLAS's name for the kernels it chose, e.g. "SkylakeX".
const char *bk_blas_corename(void);
const char *bk_blas_config(void);
/// What bertkit set OPENBLAS_CORETYPE to, or NULL when it left it alone.
const char *bk_blas_coretype_forced(void);
/// The shared library that was loaded.
const char *bk_blas_library(void);

/// CPU features (cpuid, plus XCR0 for the OS side of AVX/AVX-512).
int bk_cpu_has_avx512(void);
int bk_cpu_has_avx512_bf16(void);
int bk_cpu_has_f16c(void);
int bk_cpu_has_sse42(void);

#endif
