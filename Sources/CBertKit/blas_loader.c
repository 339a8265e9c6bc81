#define _GNU_SOURCE
#include "bk_blas.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                         float, float *, int);
static sgemm_fn p_sgemm;
static void (*p_set_threads)(int);
static int (*p_get_threads)(void);
static char *(*p_corename)(void);
static char *(*p_config)(void);
static const char *forced;
static char library[256];
static char load_error[512];
static int load_status = 1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
static unsigned long long xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
static int os_saves_avx512(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    return (xgetbv0() & 0xE6) == 0xE6; // XMM, YMM, opmask, ZMM_Hi256, Hi16_ZMM
}
int bk_cpu_has_avx512(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, cd = (b >> 28) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    return f && dq && cd && bw && vl && os_saves_avx512();
}
int bk_cpu_has_avx512_bf16(void) {
    unsigned int a, b, c, d;
    if (!bk_cpu_has_avx512() || !__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (a >> 5) & 1;
}
int bk_cpu_has_f16c(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return ((c >> 29) & 1) && (c & bit_OSXSAVE) && (xgetbv0() & 6) == 6;
}
int bk_cpu_has_sse42(void) {
    unsigned int a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && ((c >> 20) & 1);
}
#else
int bk_cpu_has_avx512(void) { return 0; }
int bk_cpu_has_avx512_bf16(void) { return 0; }
int bk_cpu_has_f16c(void) { return 0; }
int bk_cpu_has_sse42(void) { return 0; }
#endif

static void *symbol(void *h, const char *name) {
    void *s = dlsym(h, name);
    if (!s) snprintf(load_error, sizeof load_error, "%s has no symbol %s", library, name);
    return s;
}

/// AMD family 19h with AVX-512 (Zen 4): it runs 512-bit operations as two 256-bit halves.
static int cpu_is_zen4(void) {
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d) || b != 0x68747541 || d != 0x69746e65 || c != 0x444d4163) return 0;  // AuthenticAMD
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return ((a >> 8) & 0xF) + ((a >> 20) & 0xFF) == 0x19 && bk_cpu_has_avx512();
#else
    return 0;
#endif
}

static void load(void) {
    const char *user = getenv("OPENBLAS_CORETYPE");
    if ((!user || !*user) && bk_cpu_has_avx512()) {
        // Cooperlake = SkylakeX's AVX-512 kernels plus bf16 ones; older OpenBLAS builds pick
        // Haswell or Zen kernels on AVX-512 CPUs they do not recognise. On Zen 4 the reverse holds:
        // OpenBLAS 0.3.21 picks Cooperlake, but its Zen (AVX2) sgemm kernels are faster there
        // (2 threads: 128x768x3072 197 vs 151 GFLOPS, 1024x3072x768 211 vs 197; bert-base 8x128
        // forward 900 vs 925 ms).
        forced = cpu_is_zen4() ? "Zen" : bk_cpu_has_avx512_bf16() ? "Cooperlake" : "SkylakeX";
        setenv("OPENBLAS_CORETYPE", forced, 1);
    }
    // OpenBLAS's idle workers spin for 2^28 cycles (~0.1 s) after each GEMM before sleeping, taking a
    // core from bertkit's own workers, which run attention, LayerNorm and activations between the
    // GEMMs (bert-base 8x128 on 2 cores: 950 -> 910 ms). 2^4 cycles makes them sleep at once; waking
    // them costs microseconds per GEMM. A user's own setting wins.
    const char *timeout = getenv("OPENBLAS_THREAD_TIMEOUT");
    if (!timeout || !*timeout) setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    const char *candidates[] = {
        getenv("BERTKIT_OPENBLAS"), "libopenblas.so.0", "libopenblas.so",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0", "libopenblas.dylib",
    };
    void *h = NULL;
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates && !h; i++) {
        if (!candidates[i] || !*candidates[i]) continue;
        h = dlopen(candidates[i], RTLD_NOW | RTLD_GLOBAL);
        if (h) snprintf(library, sizeof library, "%s", candidates[i]);
    }
    if (!h) {
        snprintf(load_error, sizeof load_error,
                 "could not load OpenBLAS (libopenblas.so.0): %s. Install it: apt-get install libopenblas-dev",
                 dlerror());
        return;
    }
    if (!(p_sgemm = (sgemm_fn)symbol(h, "cblas_sgemm"))) return;
    if (!(p_set_threads = (void (*)(int))symbol(h, "openblas_set_num_threads"))) return;
    if (!(p_get_threads = (int (*)(void))symbol(h, "openblas_get_num_threads"))) return;
    if (!(p_corename = (char *(*)(void))symbol(h, "openblas_get_corename"))) return;
    if (!(p_config = (char *(*)(void))symbol(h, "openblas_get_config"))) return;
    load_status = 0;
}

int bk_blas_load(char *error, size_t error_len) {
    pthread_once(&once, load);
    if (load_status != 0 && error && error_len) snprintf(error, error_len, "%s", load_error);
    return load_status == 0 ? 0 : -1;
}

void bk_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    p_sgemm(RowMajor, trans_a ? Trans : NoTrans, trans_b ? Trans : NoTrans, m, n, k, alpha, a, lda, b,
            ldb, beta, c, ldc);
}
void bk_blas_set_threads(int n) { p_set_threads(n); }
int bk_blas_threads(void) { return p_get_threads(); }
const char *bk_blas_corename(void) { return p_corename(); }
const char *bk_blas_config(void) { return p_config(); }
const char *bk_blas_coretype_forced(void) { return forced; }
const char *bk_blas_library(void) { return library; }
