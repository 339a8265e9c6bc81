// C[M, N] += A[M, K] · Wᵀ for a Linear's weight W[N, K] packed once (at first use) into panels of
// 32 output columns, k-major. OpenBLAS packs W into a similar layout on every call; with the few
// rows of a batch-1 forward that repacking is a large share of the GEMM (MiniLM 1×128: each weight
// is read and rewritten to compute 128 rows). A is read as it is (row-major, stride lda): each
// register block broadcasts MR of its rows against two vectors of a panel.
#include "bk_kernels.h"
#include "bk_simd.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NR 32  // columns per panel: two AVX-512 vectors
#define MR 12  // rows per register block: 12 rows × 2 vectors = 24 accumulators
#define KC 128 // k per pass: a panel's 128×32 slice (16 KiB) stays in L1 while every row block uses it

size_t bk_packed_floats(int n, int k) { return (size_t)bk_packed_panels(n) * NR * (size_t)k; }
int bk_packed_panels(int n) { return (n + NR - 1) / NR; }

void bk_pack_weight(float *packed, const float *w, int n, int k, int p0, int p1) {
    for (int p = p0; p < p1; p++) {
        float *dst = packed + (size_t)p * NR * k;
        for (int kk = 0; kk < k; kk++)
            for (int j = 0; j < NR; j++) {
                int col = p * NR + j;
                dst[(size_t)kk * NR + j] = col < n ? w[(size_t)col * k + kk] : 0.0f;
            }
    }
}

// ---- portable ------------------------------------------------------------------------------

static void block_portable(int rows, int cols, const float *a, int lda, const float *b, int kc, float *c, int ldc) {
    float acc[MR][NR];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = j < cols ? c[(size_t)r * ldc + j] : 0.0f;
    for (int kk = 0; kk < kc; kk++) {
        const float *bk = b + (size_t)kk * NR;
        for (int r = 0; r < rows; r++) {
            float x = a[(size_t)r * lda + kk];
            for (int j = 0; j < NR; j++) acc[r][j] = fmaf(x, bk[j], acc[r][j]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) c[(size_t)r * ldc + j] = acc[r][j];
}

// ---- AVX-512 -------------------------------------------------------------------------------

#if BK_X86
// R rows (a constant after inlining) × one panel. Written out row by row with named accumulators:
// as loops over rows, clang interchanged them with the k loop and kept two accumulators per row,
// latency-bound at 50 GFLOPS per core.
#define ROWS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
BK_AVX512_INLINE void block_avx512(const int R, const float *a, int lda, const float *b, int kc, float *c, int ldc,
                                   __mmask16 m0, __mmask16 m1, const float *pf) {
#define DECL(r) __m512 lo##r = _mm512_setzero_ps(), hi##r = _mm512_setzero_ps(); const float *a##r = a + (size_t)(r) * lda;
    ROWS12(DECL)
#undef DECL
#define LOAD(r)                                                            \
    if (R > r) {                                                           \
        lo##r = _mm512_maskz_loadu_ps(m0, c + (size_t)(r) * ldc);          \
        hi##r = _mm512_maskz_loadu_ps(m1, c + (size_t)(r) * ldc + 16);     \
    }
    ROWS12(LOAD)
#undef LOAD
    for (int kk = 0; kk < kc; kk++) {
        __m512 b0 = _mm512_load_ps(b + (size_t)kk * NR), b1 = _mm512_load_ps(b + (size_t)kk * NR + 16);
        if (pf) {
            _mm_prefetch((const char *)(pf + (size_t)kk * NR), _MM_HINT_T1);
            _mm_prefetch((const char *)(pf + (size_t)kk * NR + 16), _MM_HINT_T1);
        }
#define FMA(r)                                                             \
        if (R > r) {                                                       \
            __m512 x = _mm512_set1_ps(a##r[kk]);                           \
            lo##r = _mm512_fmadd_ps(x, b0, lo##r);                         \
            hi##r = _mm512_fmadd_ps(x, b1, hi##r);                         \
        }
        ROWS12(FMA)
#undef FMA
    }
#define STORE(r)                                                           \
    if (R > r) {                                                           \
        _mm512_mask_storeu_ps(c + (size_t)(r) * ldc, m0, lo##r);           \
        _mm512_mask_storeu_ps(c + (size_t)(r) * ldc + 16, m1, hi##r);      \
    }
    ROWS12(STORE)
#undef STORE
}

BK_AVX512 static void panel_avx512(int m, const float *a, int lda, const float *b, int kc, float *c, int ldc, int cols,
                                   const float *next) {
    __mmask16 m0 = bk_tail_mask((size_t)cols), m1 = bk_tail_mask(cols > 16 ? (size_t)(cols - 16) : 0);
    for (int i0 = 0; i0 < m; i0 += MR) {
        const float *ai = a + (size_t)i0 * lda;
        float *ci = c + (size_t)i0 * ldc;
#define B(R) block_avx512(R, ai, lda, b, kc, ci, ldc, m0, m1, i0 == 0 ? next : NULL); break
        switch (m - i0 < MR ? m - i0 : MR) {
        case 1: B(1);
        case 2: B(2);
        case 3: B(3);
        case 4: B(4);
        case 5: B(5);
        case 6: B(6);
        case 7: B(7);
        case 8: B(8);
        case 9: B(9);
        case 10: B(10);
        case 11: B(11);
        default: B(12);
        }
#undef B
    }
}
#endif

// Each thread's copy of A's k-slice (rows × KC), kept for the thread's life.
static pthread_key_t slice_key;
static pthread_once_t slice_once = PTHREAD_ONCE_INIT;
static void slice_key_make(void) { pthread_key_create(&slice_key, free); }
typedef struct { size_t floats; float data[]; } slice_buffer;

static float *a_slice(size_t floats) {
    pthread_once(&slice_once, slice_key_make);
    slice_buffer *s = pthread_getspecific(slice_key);
    if (!s || s->floats < floats) {
        free(s);
        s = malloc(sizeof(slice_buffer) + floats * sizeof(float));
        if (!s) return NULL;
        s->floats = floats;
        pthread_setspecific(slice_key, s);
    }
    return s->data;
}

void bk_packed_gemm(float *c, int ldc, const float *a, int lda, const float *packed, int m, int n, int k, int p0,
                    int p1) {
#if BK_X86
    int avx = bk_use_avx512();
#endif
    // A's rows are read KC at a time with stride lda. When lda is a multiple of 4 KiB (bert-base's
    // output dense: 3072 floats) the 12 rows of a block fall in the same L1 sets and evict each
    // other, so each k-slice is first copied to rows of KC (1 thread, 128×768×3072: 91 → 98
    // GFLOPS; at other strides the copy costs more than it saves). NULL: out of memory, read in place.
    float *slice = (size_t)lda * sizeof(float) % 4096 == 0 ? a_slice((size_t)m * KC) : NULL;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC;
        const float *ak = a + k0;
        int ldak = lda;
        if (slice) {
            for (int r = 0; r < m; r++) memcpy(slice + (size_t)r * kc, a + (size_t)r * lda + k0, (size_t)kc * sizeof(float));
            ak = slice, ldak = kc;
        }
        for (int p = p0; p < p1; p++) {
            const float *b = packed + (size_t)p * NR * k + (size_t)k0 * NR;
            int cols = n - p * NR < NR ? n - p * NR : NR;
            float *cp = c + (size_t)p * NR;
#if BK_X86
            if (avx) {
                // The next panel's slice is fetched into L2 while this one runs.
                panel_avx512(m, ak, ldak, b, kc, cp, ldc, cols, p + 1 < p1 ? b + (size_t)NR * k : NULL);
                continue;
            }
#endif
            for (int i0 = 0; i0 < m; i0 += MR)
                block_portable(m - i0 < MR ? m - i0 : MR, cols, ak + (size_t)i0 * ldak, ldak, b, kc,
                               cp + (size_t)i0 * ldc, ldc);
        }
    }
}
