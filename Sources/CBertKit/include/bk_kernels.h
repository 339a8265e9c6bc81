#ifndef BK_KERNELS_H
#define BK_KERNELS_H
#include <stddef.h>
#include <stdint.h>

// BERT's non-GEMM kernels: embeddings, LayerNorm, activations, softmax attention. Each runs on a
// range of rows the caller picks (the Swift side splits rows across threads). Each has an AVX-512
// version and a portable C version that compute the same formulas with the same polynomials, chosen
// at run time. Backward kernels go beside their forward in the same file (Sources/CBertKit/kernels/).

/// "avx512" or "portable": the kernels in use.
const char *bk_kernels_isa(void);
/// Tests: 1 forces the portable kernels, 0 restores the automatic choice.
void bk_kernels_force_portable(int on);

/// The worker pool (kernels/pool.c): runs fn(ctx, w, workers) for w = 0 … workers-1 at once, w = 0
/// on the calling thread, and returns 1 when all are done; returns 0 without running anything when
/// another thread's job holds the pool (or workers is below 2), for the caller to run it otherwise.
typedef void (*bk_pool_task)(void *ctx, int worker, int workers);
int bk_pool_run(bk_pool_task fn, void *ctx, int workers);

/// Vectorised math the activations use, exposed for accuracy tests.
void bk_erf(float *out, const float *in, size_t n);
void bk_exp(float *out, const float *in, size_t n);

// ---- embeddings.c --------------------------------------------------------------------------
/// out[r] = word[ids[r]] + type[types[r]] + position[positions[r]], for r in [0, rows): out, ids,
/// types and positions point at the first row (flattened batch × seq). Ids and positions are trusted
/// (BertInput checked them). `type` NULL: no token-type table (DistilBERT, MPNet), word + position; types unread.
void bk_embeddings_sum_forward(float *out, const int32_t *ids, const int32_t *types, const int32_t *positions, int rows,
                               int hidden, const float *word, const float *position, const float *type);

// ---- layernorm.c ---------------------------------------------------------------------------
/// out = (x - mean) / sqrt(var + eps) * weight + bias per row of `cols`. `mean`/`rstd` (one per row)
/// may be NULL; backward needs them. `out` may equal `inp`.
void bk_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                          const float *bias, int rows, int cols, float eps);
/// Backward from the forward's mean/rstd: dinp (written, [rows, cols]) = rstd·(g - mean(g) - n·mean(g·n))
/// with n = (x - mean)·rstd, g = dout·weight; dweight += Σ dout·n and dbias += Σ dout (added).
/// dinp_copy (may be NULL) receives dinp's values too. `dinp` or `dinp_copy` may equal `dout`.
void bk_layernorm_backward(float *dinp, float *dinp_copy, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *mean, const float *rstd, const float *weight, int rows,
                           int cols);

// ---- bias.c --------------------------------------------------------------------------------
/// out[r] = bias (+ residual[r]): the C a GEMM then accumulates into with beta = 1.
void bk_bias_rows_forward(float *out, const float *bias, const float *residual, int rows, int cols);
/// into[c] += Σ_r x[r·ld + c] for c < cols, rows added in order (a Linear's bias gradient; callers
/// may split the columns, the bits stay the same).
void bk_column_sums(float *into, const float *x, int rows, int cols, int ld);

// ---- activations.c -------------------------------------------------------------------------
/// Elementwise, `out` may equal `inp`. gelu: x·Φ(x) with erf; gelu_tanh: transformers' gelu_new,
/// computed as x·sigmoid(2y), y = √(2/π)(x + 0.044715x³), which equals 0.5x(1 + tanh y).
void bk_gelu_forward(float *out, const float *inp, size_t n);
void bk_gelu_tanh_forward(float *out, const float *inp, size_t n);
void bk_relu_forward(float *out, const float *inp, size_t n);
void bk_silu_forward(float *out, const float *inp, size_t n);
void bk_tanh_forward(float *out, const float *inp, size_t n);
/// dinp = dout · act'(inp), the derivatives torch's autograd uses; `dinp` may equal `dout`.
void bk_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void bk_gelu_tanh_backward(float *dinp, const float *dout, const float *inp, size_t n);
void bk_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void bk_silu_backward(float *dinp, const float *dout, const float *inp, size_t n);

// ---- attention.c ---------------------------------------------------------------------------
/// Floats of scratch `bk_attention_head_forward` needs for sequences up to `seq` and head size `dh`.
size_t bk_attention_scratch_floats(int seq, int dh);
/// Scaled dot-product attention for one (batch row, head). q, k, v point at this head's columns
/// of row 0 (row stride `ld`, e.g. 3H for a fused QKV buffer). Queries: `seq` rows. Keys: the first
/// `keys` rows, of which those with keymask[j] == 0 are skipped (keymask may be NULL: all kept).
/// A query whose keys are all masked attends uniformly, as transformers' additive mask gives.
/// probs (may be NULL): row i at probs + i*ldp, `seq` columns, zero for skipped keys.
/// drop (may be NULL): attention dropout, row i at drop + i*ldp; the context then uses
/// probs ⊙ drop · dropscale while `probs` keeps the softmax itself (what the backward needs).
/// ctx: row i at ctx + i*ldc, `dh` columns.
/// bias (may be NULL): an additive score bias, row i at bias + i*ldb, added after the scaling
/// (MPNet's relative position bias: scores·scale + bias, then the mask).
void bk_attention_head_forward(const float *q, const float *k, const float *v, int ld, int seq, int keys, int dh,
                               float scale, const uint8_t *keymask, const float *bias, int ldb, float *probs, int ldp,
                               const uint8_t *drop, float dropscale, float *ctx, int ldc, float *scratch);
/// Floats of scratch `bk_attention_head_backward` needs.
size_t bk_attention_backward_scratch_floats(int seq, int dh);
/// The backward of `bk_attention_head_forward` for one (batch row, head), from its saved `probs`
/// (the softmax, before dropout) and `drop`/`dropscale` as the forward had them: writes this head's
/// columns of dq, dk, dv (row stride `ld`, like q, k, v) from dctx (row stride `ldc`). Keys past
/// `keys` get zero gradients. scores_live 0 (every key masked: the forward attended uniformly to a
/// constant) gives the scores no gradient. dbias (may be NULL): the additive bias's gradient (the
/// scaled scores' gradient), row i at dbias + i*ldb, `seq` columns written (zero past `keys`).
void bk_attention_head_backward(const float *q, const float *k, const float *v, int ld, const float *dctx, int ldc,
                                const float *probs, int ldp, const uint8_t *drop, float dropscale, int seq, int keys,
                                int dh, float scale, int scores_live, float *dq, float *dk, float *dv, float *dbias,
                                int ldb, float *scratch);

// ---- dropout.c -----------------------------------------------------------------------------
/// The key of one mask stream (e.g. one training step) under `seed`.
uint64_t bk_dropout_key(uint64_t seed, uint64_t stream);
/// p·2²⁴ rounded: an element is kept iff its 24 random bits are at least this.
uint32_t bk_dropout_threshold(float p);
/// mask[i] = 1 (keep) or 0 for elements first..<first+n of the mask stream `key`.
void bk_dropout_mask(uint8_t *mask, size_t n, uint64_t key, uint64_t first, uint32_t threshold);
/// out = inp ⊙ mask · scale (+ residual): dropout's forward, and its backward on a gradient.
/// `out` may equal `inp`; residual may be NULL.
void bk_dropout_apply(float *out, const float *inp, const uint8_t *mask, float scale, const float *residual,
                      size_t n);

// ---- adam.c --------------------------------------------------------------------------------
/// One step's constants, as torch's _single_tensor_adam derives them.
typedef struct {
    float step_size;              // lr / (1 - beta1^t)
    float beta2;
    float one_minus_beta1;
    float one_minus_beta2;
    float bias_correction2_sqrt;  // sqrt(1 - beta2^t)
    float eps;
    float l2;                     // Adam's weight decay added to the gradient (0: none)
    float decay;                  // AdamW's 1 - lr·weight_decay applied to the parameter (1: none)
} bk_adam_step;
/// Updates params, exp_avg, exp_avg_sq for n elements from grads with torch's formula, f32 operation
/// for operation (no FMA contraction). When sumsq is not NULL, also stores Σ grads² as bk_sum_squares does.
void bk_adam_update(float *params, const float *grads, float *exp_avg, float *exp_avg_sq, size_t n,
                    const bk_adam_step *step, double *sumsq);
/// Σ x² in f64, in one fixed order on both paths (16 strided lanes, then the lanes in order).
double bk_sum_squares(const float *x, size_t n);

// ---- packed_gemm.c -------------------------------------------------------------------------
/// A Linear's weight W[N, K] (transformers' [out, in]) packed for `bk_packed_gemm`: panels of 32
/// output columns, each K × 32 floats (k-major), the last zero-padded. The buffer must be 64-byte
/// aligned and hold `bk_packed_floats(n, k)` floats.
int bk_packed_panels(int n);
size_t bk_packed_floats(int n, int k);
/// Packs panels p0..<p1 (callers may split the panels across threads).
void bk_pack_weight(float *packed, const float *w, int n, int k, int p0, int p1);
/// C[M, N] += A[M, K] · Wᵀ for the columns of panels p0..<p1, from the packed W. A and C are
/// row-major with strides lda and ldc. Each element adds its products in k order onto C's value.
void bk_packed_gemm(float *c, int ldc, const float *a, int lda, const float *packed, int m, int n, int k, int p0,
                    int p1);

#endif
