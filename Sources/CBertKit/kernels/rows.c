// Row broadcasts: the embeddings sum (transformers' BertEmbeddings before its LayerNorm) and the
// bias (+ residual) rows a Linear's GEMM accumulates into.
#include "bk_kernels.h"
#include "bk_simd.h"
#include <string.h>

static void add3_portable(float *o, const float *a, const float *b, const float *c, int n) {
    for (int i = 0; i < n; i++) o[i] = a[i] + b[i] + c[i];
}
static void add2_portable(float *o, const float *a, const float *b, int n) {
    for (int i = 0; i < n; i++) o[i] = a[i] + b[i];
}
#if BK_X86
BK_AVX512 static void add3_avx512(float *o, const float *a, const float *b, const float *c, int n) {
    for (int i = 0; i < n; i += 16) {
        __mmask16 k = bk_tail_mask(n - i);
        __m512 s = _mm512_add_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i));
        _mm512_mask_storeu_ps(o + i, k, _mm512_add_ps(s, _mm512_maskz_loadu_ps(k, c + i)));
    }
}
BK_AVX512 static void add2_avx512(float *o, const float *a, const float *b, int n) {
    for (int i = 0; i < n; i += 16) {
        __mmask16 k = bk_tail_mask(n - i);
        _mm512_mask_storeu_ps(o + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i)));
    }
}
#endif

void bk_embeddings_sum_forward(float *out, const int32_t *ids, const int32_t *types, const int32_t *positions, int rows,
                               int hidden, const float *word, const float *position, const float *type) {
    int avx = bk_use_avx512();
    for (int r = 0; r < rows; r++) {
        // transformers adds (word + token type) + position; the same order keeps the same rounding.
        // No type table (DistilBERT's Embeddings, MPNetEmbeddings): word + position.
        const float *a = word + (size_t)ids[r] * hidden, *c = position + (size_t)positions[r] * hidden;
        float *o = out + (size_t)r * hidden;
        if (!type) {
#if BK_X86
            if (avx) { add2_avx512(o, a, c, hidden); continue; }
#endif
            add2_portable(o, a, c, hidden);
            continue;
        }
        const float *b = type + (size_t)types[r] * hidden;
#if BK_X86
        if (avx) { add3_avx512(o, a, b, c, hidden); continue; }
#endif
        (void)avx;
        add3_portable(o, a, b, c, hidden);
    }
}

void bk_bias_rows_forward(float *out, const float *bias, const float *residual, int rows, int cols) {
    int avx = bk_use_avx512();
    for (int r = 0; r < rows; r++) {
        float *o = out + (size_t)r * cols;
        if (!residual) { memcpy(o, bias, (size_t)cols * sizeof(float)); continue; }
        const float *x = residual + (size_t)r * cols;
#if BK_X86
        if (avx) { add2_avx512(o, bias, x, cols); continue; }
#endif
        (void)avx;
        for (int i = 0; i < cols; i++) o[i] = bias[i] + x[i];
    }
}

// ---- column sums (a Linear's bias gradient) ----------------------------------------------------
// into[c] += Σ_r x[r·ld + c], rows added in order 0, 1, ... for every column, so the bits do not
// depend on how callers split the columns.

static void column_sums_portable(float *into, const float *x, int rows, int cols, int ld) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + (size_t)r * ld;
        for (int c = 0; c < cols; c++) into[c] += row[c];
    }
}

#if BK_X86
BK_AVX512 static void column_sums_avx512(float *into, const float *x, int rows, int cols, int ld) {
    int c = 0;
    // Four vectors (64 columns) per sweep down the rows: four independent add chains.
    for (; c + 64 <= cols; c += 64) {
        __m512 a0 = _mm512_loadu_ps(into + c), a1 = _mm512_loadu_ps(into + c + 16);
        __m512 a2 = _mm512_loadu_ps(into + c + 32), a3 = _mm512_loadu_ps(into + c + 48);
        for (int r = 0; r < rows; r++) {
            const float *row = x + (size_t)r * ld + c;
            a0 = _mm512_add_ps(a0, _mm512_loadu_ps(row));
            a1 = _mm512_add_ps(a1, _mm512_loadu_ps(row + 16));
            a2 = _mm512_add_ps(a2, _mm512_loadu_ps(row + 32));
            a3 = _mm512_add_ps(a3, _mm512_loadu_ps(row + 48));
        }
        _mm512_storeu_ps(into + c, a0);
        _mm512_storeu_ps(into + c + 16, a1);
        _mm512_storeu_ps(into + c + 32, a2);
        _mm512_storeu_ps(into + c + 48, a3);
    }
    for (; c < cols; c += 16) {
        __mmask16 k = bk_tail_mask(cols - c);
        __m512 a = _mm512_maskz_loadu_ps(k, into + c);
        for (int r = 0; r < rows; r++) a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(k, x + (size_t)r * ld + c));
        _mm512_mask_storeu_ps(into + c, k, a);
    }
}
#endif

void bk_column_sums(float *into, const float *x, int rows, int cols, int ld) {
#if BK_X86
    if (bk_use_avx512()) return column_sums_avx512(into, x, rows, cols, ld);
#endif
    column_sums_portable(into, x, rows, cols, ld);
}
