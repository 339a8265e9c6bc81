// Scaled dot-product attention for one (batch row, head), as transformers' eager_attention_forward
// (models/bert/modeling_bert.py): softmax(Q·Kᵀ·scale + mask)·V. Keys the mask drops are skipped
// rather than given transformers' large negative bias: exp of that bias is exactly 0 in f32, so the
// probabilities and the context are the same, and a padded row equals the same text alone.
#include "bk_kernels.h"
#include "bk_simd.h"
#include <string.h>

#define ROWS 6  // query rows per register block: 6 rows × 4 vectors = 24 accumulators

static inline int round16(int n) { return (n + 15) & ~15; }

size_t bk_attention_scratch_floats(int seq, int dh) {
    size_t lp = (size_t)round16(seq);
    return (size_t)dh * lp + ROWS * lp;
}

static int any_key(const uint8_t *keymask, int keys) {
    if (!keymask) return keys > 0;
    for (int j = 0; j < keys; j++)
        if (keymask[j]) return 1;
    return 0;
}

// ---- portable ------------------------------------------------------------------------------

// MPNetSelfAttention (models/mpnet/modeling_mpnet.py): scores / sqrt(d) + position_bias, then the
// mask. The row is scaled here so the bias is added after the scaling, as there; the softmax then
// runs unscaled.
static void add_bias_row(float *row, const float *bias, int keys, float scale) {
    for (int j = 0; j < keys; j++) row[j] = row[j] * scale + bias[j];
}

static void softmax_row_portable(float *p, int keys, float scale, const uint8_t *keymask) {
    if (!any_key(keymask, keys)) {
        for (int j = 0; j < keys; j++) p[j] = 1.0f / keys;
        return;
    }
    float m = -INFINITY, sum = 0;
    for (int j = 0; j < keys; j++)
        if ((!keymask || keymask[j]) && !(p[j] <= m)) m = p[j];  // NaN wins, so it propagates
    for (int j = 0; j < keys; j++) {
        float e = !keymask || keymask[j] ? bk_exp_scalar((p[j] - m) * scale) : 0.0f;
        p[j] = e;
        sum += e;
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < keys; j++) p[j] *= inv;
}

static void attention_portable(const float *q, const float *k, const float *v, int ld, int seq, int keys, int dh,
                               float scale, const uint8_t *keymask, const float *bias, int ldb, float *probs, int ldp,
                               const uint8_t *drop, float dropscale, float *ctx, int ldc, float *row) {
    for (int i = 0; i < seq; i++) {
        const float *qi = q + (size_t)i * ld;
        for (int j = 0; j < keys; j++) {
            const float *kj = k + (size_t)j * ld;
            float s = 0;
            for (int d = 0; d < dh; d++) s += qi[d] * kj[d];
            row[j] = s;
        }
        if (bias) add_bias_row(row, bias + (size_t)i * ldb, keys, scale);
        softmax_row_portable(row, keys, bias ? 1.0f : scale, keymask);
        if (probs) {
            memcpy(probs + (size_t)i * ldp, row, (size_t)keys * sizeof(float));
            memset(probs + (size_t)i * ldp + keys, 0, (size_t)(seq - keys) * sizeof(float));
        }
        if (drop)
            for (int j = 0; j < keys; j++) row[j] *= drop[(size_t)i * ldp + j] ? dropscale : 0.0f;
        float *o = ctx + (size_t)i * ldc;
        for (int d = 0; d < dh; d++) o[d] = 0;
        for (int j = 0; j < keys; j++) {
            const float *vj = v + (size_t)j * ld;
            for (int d = 0; d < dh; d++) o[d] += row[j] * vj[d];
        }
    }
}

// ---- AVX-512 -------------------------------------------------------------------------------
#if BK_X86

// scores[r][16x..] = Σ_d q[r][d] · kt[d][16x..] for R query rows and NV vectors of 16 keys.
BK_AVX512_INLINE void qk_block(const int R, const int NV, const float *q, int ld, const float *kt, int lp, int dh,
                               float *s, int lds) {
    __m512 acc[ROWS][4];
    for (int r = 0; r < R; r++)
        for (int x = 0; x < NV; x++) acc[r][x] = _mm512_setzero_ps();
    for (int d = 0; d < dh; d++) {
        __m512 kv[4];
        for (int x = 0; x < NV; x++) kv[x] = _mm512_loadu_ps(kt + (size_t)d * lp + 16 * x);
        for (int r = 0; r < R; r++) {
            __m512 qb = _mm512_set1_ps(q[(size_t)r * ld + d]);
            for (int x = 0; x < NV; x++) acc[r][x] = _mm512_fmadd_ps(qb, kv[x], acc[r][x]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int x = 0; x < NV; x++) _mm512_storeu_ps(s + (size_t)r * lds + 16 * x, acc[r][x]);
}

// out[r][16x..] = scale[r] · Σ_j p[r·ldp + j·cs] · v[j][16x..]; the last vector is masked by `last`.
// cs = 1 reads p by rows; ldp = 1 and cs = a row stride read it transposed (the backward's Pᵀ·dC).
BK_AVX512_INLINE void pv_block(const int R, const int NV, const float *p, int ldp, int cs, const float *v, int ld,
                               int keys, __mmask16 last, const float *scale, float *o, int ldo) {
    __m512 acc[ROWS][4];
    for (int r = 0; r < R; r++)
        for (int x = 0; x < NV; x++) acc[r][x] = _mm512_setzero_ps();
    for (int j = 0; j < keys; j++) {
        __m512 vv[4];
        const float *vj = v + (size_t)j * ld;
        for (int x = 0; x < NV - 1; x++) vv[x] = _mm512_loadu_ps(vj + 16 * x);
        vv[NV - 1] = _mm512_maskz_loadu_ps(last, vj + 16 * (NV - 1));
        for (int r = 0; r < R; r++) {
            __m512 pb = _mm512_set1_ps(p[(size_t)r * ldp + (size_t)j * cs]);
            for (int x = 0; x < NV; x++) acc[r][x] = _mm512_fmadd_ps(pb, vv[x], acc[r][x]);
        }
    }
    for (int r = 0; r < R; r++) {
        __m512 sc = _mm512_set1_ps(scale[r]);
        for (int x = 0; x < NV - 1; x++) _mm512_storeu_ps(o + (size_t)r * ldo + 16 * x, _mm512_mul_ps(acc[r][x], sc));
        _mm512_mask_storeu_ps(o + (size_t)r * ldo + 16 * (NV - 1), last, _mm512_mul_ps(acc[r][NV - 1], sc));
    }
}

// Instantiates a block kernel for constant R (1...6) and NV (1...4) so its accumulators stay in registers.
#define NV_CASES(CALL, R, NV)                     \
    switch (NV) {                                 \
    case 1: CALL(R, 1); break;                    \
    case 2: CALL(R, 2); break;                    \
    case 3: CALL(R, 3); break;                    \
    default: CALL(R, 4); break;                   \
    }
#define BLOCK_CASES(CALL, R, NV)                  \
    switch (R) {                                  \
    case 1: NV_CASES(CALL, 1, NV) break;          \
    case 2: NV_CASES(CALL, 2, NV) break;          \
    case 3: NV_CASES(CALL, 3, NV) break;          \
    case 4: NV_CASES(CALL, 4, NV) break;          \
    case 5: NV_CASES(CALL, 5, NV) break;          \
    default: NV_CASES(CALL, 6, NV) break;         \
    }

BK_AVX512_INLINE __mmask16 key_lanes(const uint8_t *keymask, int j, int keys) {
    __mmask16 k = bk_tail_mask((size_t)(keys - j));
    if (keymask) {
        __m128i b = _mm_maskz_loadu_epi8(k, keymask + j);
        k &= _mm_test_epi8_mask(b, b);
    }
    return k;
}

// Softmax of p[0..<keys] (scaled), zero up to lp (a multiple of 16 ≥ keys). With `normalize` 0 the
// row keeps exp(s - max) and the function returns 1/Σ for the caller to apply later; else it
// divides and returns 1.
BK_AVX512 static float softmax_row_avx512(float *p, int keys, int lp, float scale, const uint8_t *keymask,
                                          int normalize) {
    if (!any_key(keymask, keys)) {
        for (int j = 0; j < lp; j++) p[j] = j < keys ? 1.0f / keys : 0.0f;
        return 1.0f;
    }
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (int j = 0; j < keys; j += 16) {
        __m512 x = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), key_lanes(keymask, j, keys), p + j);
        mx = _mm512_max_ps(mx, x);  // a NaN score makes mx NaN, and every probability NaN
    }
    __m512 vm = _mm512_set1_ps(_mm512_reduce_max_ps(mx)), vs = _mm512_set1_ps(scale), sum = _mm512_setzero_ps();
    for (int j = 0; j < lp; j += 16) {
        __mmask16 k = j < keys ? key_lanes(keymask, j, keys) : 0;
        __m512 e = _mm512_maskz_mov_ps(k, bk_exp512(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(p + j), vm), vs)));
        _mm512_storeu_ps(p + j, e);
        sum = _mm512_add_ps(sum, e);
    }
    float inv = 1.0f / _mm512_reduce_add_ps(sum);
    if (!normalize) return inv;
    for (int j = 0; j < keys; j += 16) _mm512_storeu_ps(p + j, _mm512_mul_ps(_mm512_loadu_ps(p + j), _mm512_set1_ps(inv)));
    return 1.0f;
}

// kt[d][j] = k[j][d] for the first `keys` rows, zero-padded to lp columns, so score-like products
// load whole vectors of keys: 16 keys at a time with a gather (the compiler's own vectorisation of
// the plain loop scatters, slow on Zen 4).
BK_AVX512_INLINE void transpose_keys(float *kt, const float *k, int ld, int keys, int lp, int dh) {
    const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(ld));
    for (int j = 0; j < lp; j += 16) {
        __mmask16 m = bk_tail_mask((size_t)(keys - j));
        const float *kj = k + (size_t)j * ld;
        for (int d = 0; d < dh; d++)
            _mm512_storeu_ps(kt + (size_t)d * lp + j, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows, kj + d, 4));
    }
}

BK_AVX512 static void attention_avx512(const float *q, const float *k, const float *v, int ld, int seq, int keys,
                                       int dh, float scale, const uint8_t *keymask, const float *bias, int ldb,
                                       float *probs, int ldp, const uint8_t *drop, float dropscale, float *ctx, int ldc,
                                       float *scratch) {
    int lp = round16(keys);
    float *kt = scratch, *sb = scratch + (size_t)dh * lp;
    transpose_keys(kt, k, ld, keys, lp, dh);
    for (int i0 = 0; i0 < seq; i0 += ROWS) {
        int R = seq - i0 < ROWS ? seq - i0 : ROWS;
        const float *qi = q + (size_t)i0 * ld;
        for (int jb = 0; jb < lp; jb += 64) {
            int nv = (lp - jb) / 16 < 4 ? (lp - jb) / 16 : 4;
#define QK(r, n) qk_block(r, n, qi, ld, kt + jb, lp, dh, sb + jb, lp)
            BLOCK_CASES(QK, R, nv)
#undef QK
        }
        // Without probabilities to record, normalisation waits for the R×dh context instead of
        // the R×keys probabilities.
        float inv[ROWS];
        if (bias)
            for (int r = 0; r < R; r++) add_bias_row(sb + (size_t)r * lp, bias + (size_t)(i0 + r) * ldb, keys, scale);
        for (int r = 0; r < R; r++)
            inv[r] = softmax_row_avx512(sb + (size_t)r * lp, keys, lp, bias ? 1.0f : scale, keymask, probs != NULL);
        if (probs)
            for (int r = 0; r < R; r++) {
                float *pr = probs + (size_t)(i0 + r) * ldp;
                memcpy(pr, sb + (size_t)r * lp, (size_t)keys * sizeof(float));
                memset(pr + keys, 0, (size_t)(seq - keys) * sizeof(float));
            }
        if (drop)  // after recording: the backward needs the softmax itself
            for (int r = 0; r < R; r++)
                bk_dropout_apply(sb + (size_t)r * lp, sb + (size_t)r * lp, drop + (size_t)(i0 + r) * ldp, dropscale, NULL,
                                 (size_t)keys);
        for (int db = 0; db < dh; db += 64) {
            int rem = dh - db, nv = rem >= 64 ? 4 : (rem + 15) / 16;
            __mmask16 last = bk_tail_mask((size_t)(rem - 16 * (nv - 1)));
#define PV(r, n) pv_block(r, n, sb, lp, 1, v + db, ld, keys, last, inv, ctx + (size_t)i0 * ldc + db, ldc)
            BLOCK_CASES(PV, R, nv)
#undef PV
        }
    }
}
#endif

void bk_attention_head_forward(const float *q, const float *k, const float *v, int ld, int seq, int keys, int dh,
                               float scale, const uint8_t *keymask, const float *bias, int ldb, float *probs, int ldp,
                               const uint8_t *drop, float dropscale, float *ctx, int ldc, float *scratch) {
#if BK_X86
    if (bk_use_avx512())
        return attention_avx512(q, k, v, ld, seq, keys, dh, scale, keymask, bias, ldb, probs, ldp, drop, dropscale, ctx,
                                ldc, scratch);
#endif
    attention_portable(q, k, v, ld, seq, keys, dh, scale, keymask, bias, ldb, probs, ldp, drop, dropscale, ctx, ldc,
                       scratch);
}

// ---- backward ------------------------------------------------------------------------------
// From the saved softmax P and, with dropout, its mask M and scale c (the context used P' = c·M ⊙ P):
//   dP' = dC·Vᵀ,  dP = c·M ⊙ dP',  dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale,
//   dQ = dS·K,  dK = dSᵀ·Q,  dV = P'ᵀ·dC.
// Only the first `keys` keys enter (P is zero past them and on holes). dS and P' are kept whole
// (seq × lp) so dK and dV read them transposed through pv_block's column stride: no transposes.

size_t bk_attention_backward_scratch_floats(int seq, int dh) {
    size_t lp = (size_t)round16(seq);
    return (size_t)dh * lp + 2 * (size_t)seq * lp;
}

static void attention_backward_portable(const float *q, const float *k, const float *v, int ld, const float *dc,
                                        int ldc, const float *probs, int ldp, const uint8_t *drop, float dropscale,
                                        int seq, int keys, int dh, float scale, int live, float *dq, float *dk,
                                        float *dv, float *dbias, int ldb, float *scratch) {
    int lp = round16(keys);
    float *ds = scratch, *pd = scratch + (size_t)seq * lp;
    for (int i = 0; i < seq; i++) {
        const float *p = probs + (size_t)i * ldp, *dci = dc + (size_t)i * ldc;
        float *dsi = ds + (size_t)i * lp, *pdi = pd + (size_t)i * lp;
        float dot = 0;
        for (int j = 0; j < keys; j++) {
            float dp = 0;
            for (int d = 0; d < dh; d++) dp += dci[d] * v[(size_t)j * ld + d];
            float c = drop ? (drop[(size_t)i * ldp + j] ? dropscale : 0.0f) : 1.0f;
            dsi[j] = dp * c;  // dP, finished below
            pdi[j] = p[j] * c;
            dot += p[j] * dsi[j];
        }
        for (int j = 0; j < keys; j++) {
            float dz = live ? p[j] * (dsi[j] - dot) : 0.0f;  // the scaled scores' (and the bias's) gradient
            if (dbias) dbias[(size_t)i * ldb + j] = dz;
            dsi[j] = dz * scale;
        }
        if (dbias) memset(dbias + (size_t)i * ldb + keys, 0, (size_t)(seq - keys) * sizeof(float));
    }
    for (int i = 0; i < seq; i++)
        for (int d = 0; d < dh; d++) {
            float s = 0;
            for (int j = 0; j < keys; j++) s += ds[(size_t)i * lp + j] * k[(size_t)j * ld + d];
            dq[(size_t)i * ld + d] = s;
        }
    for (int j = 0; j < seq; j++)
        for (int d = 0; d < dh; d++) {
            float sk = 0, sv = 0;
            if (j < keys)
                for (int i = 0; i < seq; i++) {
                    sk += ds[(size_t)i * lp + j] * q[(size_t)i * ld + d];
                    sv += pd[(size_t)i * lp + j] * dc[(size_t)i * ldc + d];
                }
            dk[(size_t)j * ld + d] = sk;
            dv[(size_t)j * ld + d] = sv;
        }
}

#if BK_X86
BK_AVX512 static void attention_backward_avx512(const float *q, const float *k, const float *v, int ld, const float *dc,
                                                int ldc, const float *probs, int ldp, const uint8_t *drop,
                                                float dropscale, int seq, int keys, int dh, float scale, int live,
                                                float *dq, float *dk, float *dv, float *dbias, int ldb, float *scratch) {
    int lp = round16(keys);
    float *vt = scratch, *ds = vt + (size_t)dh * lp, *pd = ds + (size_t)seq * lp;
    static const float ones[ROWS] = {1, 1, 1, 1, 1, 1};
    transpose_keys(vt, v, ld, keys, lp, dh);
    const __m512 vscale = _mm512_set1_ps(scale), vdrop = _mm512_set1_ps(dropscale);
    for (int i0 = 0; i0 < seq; i0 += ROWS) {
        int R = seq - i0 < ROWS ? seq - i0 : ROWS;
        for (int jb = 0; jb < lp; jb += 64) {  // dP' for R rows, as the forward's scores
            int nv = (lp - jb) / 16 < 4 ? (lp - jb) / 16 : 4;
#define QK(r, n) qk_block(r, n, dc + (size_t)i0 * ldc, ldc, vt + jb, lp, dh, ds + (size_t)i0 * lp + jb, lp)
            BLOCK_CASES(QK, R, nv)
#undef QK
        }
        for (int i = i0; i < i0 + R; i++) {
            const float *p = probs + (size_t)i * ldp;
            float *dsi = ds + (size_t)i * lp, *pdi = pd + (size_t)i * lp;
            __m512 acc = _mm512_setzero_ps();
            for (int j = 0; j < lp; j += 16) {
                __mmask16 t = bk_tail_mask((size_t)(keys - j));
                __m512 pv = _mm512_maskz_loadu_ps(t, p + j), dp = _mm512_loadu_ps(dsi + j);
                if (drop) {
                    __m128i b = _mm_maskz_loadu_epi8(t, drop + (size_t)i * ldp + j);
                    __m512 c = _mm512_maskz_mov_ps(_mm_test_epi8_mask(b, b), vdrop);
                    dp = _mm512_mul_ps(dp, c);
                    _mm512_storeu_ps(pdi + j, _mm512_mul_ps(pv, c));
                } else {
                    _mm512_storeu_ps(pdi + j, pv);
                }
                _mm512_storeu_ps(dsi + j, dp);
                acc = _mm512_fmadd_ps(pv, dp, acc);
            }
            __m512 dot = _mm512_set1_ps(_mm512_reduce_add_ps(acc));
            for (int j = 0; j < lp; j += 16) {
                __mmask16 t = bk_tail_mask((size_t)(keys - j));
                __m512 pv = _mm512_maskz_loadu_ps(t, p + j);
                __m512 dz = live ? _mm512_mul_ps(pv, _mm512_sub_ps(_mm512_loadu_ps(dsi + j), dot)) : _mm512_setzero_ps();
                if (dbias) _mm512_mask_storeu_ps(dbias + (size_t)i * ldb + j, t, dz);
                _mm512_storeu_ps(dsi + j, _mm512_mul_ps(dz, vscale));
            }
            if (dbias) memset(dbias + (size_t)i * ldb + keys, 0, (size_t)(seq - keys) * sizeof(float));
        }
        for (int db = 0; db < dh; db += 64) {  // dQ rows i0..<i0+R = dS · K
            int rem = dh - db, nv = rem >= 64 ? 4 : (rem + 15) / 16;
            __mmask16 last = bk_tail_mask((size_t)(rem - 16 * (nv - 1)));
#define PV(r, n) pv_block(r, n, ds + (size_t)i0 * lp, lp, 1, k + db, ld, keys, last, ones, dq + (size_t)i0 * ld + db, ld)
            BLOCK_CASES(PV, R, nv)
#undef PV
        }
    }
    for (int j0 = 0; j0 < keys; j0 += ROWS) {  // dK = dSᵀ · Q and dV = P'ᵀ · dC, key rows j0..<j0+R
        int R = keys - j0 < ROWS ? keys - j0 : ROWS;
        for (int db = 0; db < dh; db += 64) {
            int rem = dh - db, nv = rem >= 64 ? 4 : (rem + 15) / 16;
            __mmask16 last = bk_tail_mask((size_t)(rem - 16 * (nv - 1)));
#define PK(r, n) pv_block(r, n, ds + j0, 1, lp, q + db, ld, seq, last, ones, dk + (size_t)j0 * ld + db, ld)
            BLOCK_CASES(PK, R, nv)
#undef PK
#define PVD(r, n) pv_block(r, n, pd + j0, 1, lp, dc + db, ldc, seq, last, ones, dv + (size_t)j0 * ld + db, ld)
            BLOCK_CASES(PVD, R, nv)
#undef PVD
        }
    }
    for (int j = keys; j < seq; j++) {
        memset(dk + (size_t)j * ld, 0, (size_t)dh * sizeof(float));
        memset(dv + (size_t)j * ld, 0, (size_t)dh * sizeof(float));
    }
}
#endif

void bk_attention_head_backward(const float *q, const float *k, const float *v, int ld, const float *dctx, int ldc,
                                const float *probs, int ldp, const uint8_t *drop, float dropscale, int seq, int keys,
                                int dh, float scale, int scores_live, float *dq, float *dk, float *dv, float *dbias,
                                int ldb, float *scratch) {
#if BK_X86
    if (bk_use_avx512())
        return attention_backward_avx512(q, k, v, ld, dctx, ldc, probs, ldp, drop, dropscale, seq, keys, dh, scale,
                                         scores_live, dq, dk, dv, dbias, ldb, scratch);
#endif
    attention_backward_portable(q, k, v, ld, dctx, ldc, probs, ldp, drop, dropscale, seq, keys, dh, scale, scores_live,
                                dq, dk, dv, dbias, ldb, scratch);
}
