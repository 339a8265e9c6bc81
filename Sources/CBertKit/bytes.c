#include "bk_bytes.h"
#include "bk_blas.h"
#include <pthread.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// ---- CRC-32C ---------------------------------------------------------------------------------
static uint32_t table[8][256];
static int table_ready;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int s = 1; s < 8; s++) table[s][i] = (table[s - 1][i] >> 8) ^ table[0][table[s - 1][i] & 0xFF];
    table_ready = 1;
}

static uint32_t crc_soft(uint32_t crc, const uint8_t *p, size_t n) {
    if (!table_ready) build_table();
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= crc;
        crc = table[7][v & 0xFF] ^ table[6][(v >> 8) & 0xFF] ^ table[5][(v >> 16) & 0xFF] ^
              table[4][(v >> 24) & 0xFF] ^ table[3][(v >> 32) & 0xFF] ^ table[2][(v >> 40) & 0xFF] ^
              table[1][(v >> 48) & 0xFF] ^ table[0][v >> 56];
        p += 8, n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return crc;
}

// The crc32 instruction has a latency of 3 cycles and a throughput of 1, so one chain runs at a
// third of the speed: the hardware path runs three chains over adjacent blocks and joins them by
// shifting a block's CRC over the zeros that follow it (Mark Adler's crc32c.c). A GF(2) matrix
// applies n zero bytes to a CRC register; it is built by squaring, then tabulated per byte.
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    for (; vec; vec >>= 1, mat++)
        if (vec & 1) sum ^= *mat;
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *mat) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(mat, mat[n]);
}

/// zeros[i][b]: the register after `len` zero bytes (len a power of two) from byte b at position i.
static void zeros_table(uint32_t zeros[4][256], size_t len) {
    uint32_t op[32], odd[32], even[32];
    odd[0] = 0x82F63B78u;  // one zero bit
    for (int n = 1; n < 32; n++) odd[n] = 1u << (n - 1);
    gf2_square(even, odd);  // 2 bits
    gf2_square(odd, even);  // 4 bits
    // Each squaring doubles: 8 bits (one byte) next, then 2, 4, ... bytes.
    const uint32_t *cur = odd;
    for (size_t bytes = 1; bytes <= len; bytes <<= 1) {
        uint32_t *dst = cur == odd ? even : odd;
        gf2_square(dst, cur);
        cur = dst;
    }
    memcpy(op, cur, sizeof op);
    for (uint32_t n = 0; n < 256; n++)
        for (int i = 0; i < 4; i++) zeros[i][n] = gf2_times(op, n << (8 * i));
}

static inline uint32_t shift(const uint32_t zeros[4][256], uint32_t crc) {
    return zeros[0][crc & 0xFF] ^ zeros[1][(crc >> 8) & 0xFF] ^ zeros[2][(crc >> 16) & 0xFF] ^ zeros[3][crc >> 24];
}

#define CRC_LONG 8192
#define CRC_SHORT 256
static uint32_t zeros_long[4][256], zeros_short[4][256];
static pthread_once_t zeros_once = PTHREAD_ONCE_INIT;
static void zeros_init(void) {
    zeros_table(zeros_long, CRC_LONG);
    zeros_table(zeros_short, CRC_SHORT);
}

#if defined(__x86_64__)
static inline uint64_t load64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

// Three chains over `block`-byte thirds of each 3·block bytes, while at least that much is left.
#define THREE_WAY(block, zeros)                                                                   \
    while (n >= 3 * (block)) {                                                                    \
        uint64_t c1 = 0, c2 = 0;                                                                  \
        for (const uint8_t *end = p + (block); p < end; p += 8) {                                 \
            c = _mm_crc32_u64(c, load64(p));                                                      \
            c1 = _mm_crc32_u64(c1, load64(p + (block)));                                          \
            c2 = _mm_crc32_u64(c2, load64(p + 2 * (block)));                                      \
        }                                                                                         \
        c = shift(zeros, (uint32_t)c) ^ (uint32_t)c1;                                             \
        c = shift(zeros, (uint32_t)c) ^ (uint32_t)c2;                                             \
        p += 2 * (block), n -= 3 * (block);                                                       \
    }

__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n) {
    pthread_once(&zeros_once, zeros_init);
    uint64_t c = crc;
    THREE_WAY(CRC_LONG, zeros_long)
    THREE_WAY(CRC_SHORT, zeros_short)
    for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, load64(p));
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}
#endif

uint32_t bk_crc32c(uint32_t crc, const void *data, size_t len) {
    crc = ~crc;
#if defined(__x86_64__)
    static int hw = -1;
    if (hw < 0) hw = bk_cpu_has_sse42();
    if (hw) return ~crc_hw(crc, data, len);
#endif
    return ~crc_soft(crc, data, len);
}

// ---- half floats -----------------------------------------------------------------------------
// Tensor bytes may sit at any offset of a mapped file (safetensors allows it), so the scalar paths
// load and store through memcpy: a plain `src[i]` there is a misaligned access (UBSan found it).
static inline uint16_t load_u16(const uint16_t *p, size_t i) { uint16_t v; memcpy(&v, (const char *)p + 2 * i, 2); return v; }
static inline float load_f32(const float *p, size_t i) { float v; memcpy(&v, (const char *)p + 4 * i, 4); return v; }
static inline void store_u16(uint16_t *p, size_t i, uint16_t v) { memcpy((char *)p + 2 * i, &v, 2); }
static inline void store_f32(float *p, size_t i, float v) { memcpy((char *)p + 4 * i, &v, 4); }

static float f16_to_f32_one(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0x1F) bits = sign | 0x7F800000u | (man << 13);
    else if (exp) bits = sign | ((exp + 112) << 23) | (man << 13);
    else if (!man) bits = sign;
    else { // subnormal: normalise
        int e = -1;
        do { e++; man <<= 1; } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t f32_to_f16_one(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return sign | 0x7E00;         // NaN
    if (ax >= 0x477FF000u) return sign | 0x7C00;        // rounds to >= 65520: inf
    if (ax < 0x38800000u) {                             // result is subnormal or zero
        if (ax < 0x33000000u) return sign;              // below half the smallest subnormal
        uint32_t e = ax >> 23, man = (ax & 0x7FFFFF) | 0x800000;
        uint32_t shift = 126 - e;                       // 14 + (113 - e) - 1
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return sign | (uint16_t)half;
    }
    uint32_t r = ax + 0xFFF + ((ax >> 13) & 1);          // round mantissa to 10 bits, ties to even
    return sign | (uint16_t)((r - 0x38000000u) >> 13);
}

#if defined(__x86_64__)
__attribute__((target("f16c,avx"))) static void f16_to_f32_hw(const uint16_t *s, float *d, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + i))));
    for (; i < n; i++) store_f32(d, i, f16_to_f32_one(load_u16(s, i)));
}
__attribute__((target("f16c,avx"))) static void f32_to_f16_hw(const float *s, uint16_t *d, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(s + i);
        // NaNs take the scalar path so that every NaN becomes 0x7E00 as in PyTorch.
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) {
            for (size_t j = i; j < i + 8; j++) store_u16(d, j, f32_to_f16_one(load_f32(s, j)));
            continue;
        }
        _mm_storeu_si128((__m128i *)(d + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) store_u16(d, i, f32_to_f16_one(load_f32(s, i)));
}
#endif

void bk_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
#if defined(__x86_64__)
    if (bk_cpu_has_f16c()) { f16_to_f32_hw(src, dst, n); return; }
#endif
    for (size_t i = 0; i < n; i++) store_f32(dst, i, f16_to_f32_one(load_u16(src, i)));
}

void bk_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
#if defined(__x86_64__)
    if (bk_cpu_has_f16c()) { f32_to_f16_hw(src, dst, n); return; }
#endif
    for (size_t i = 0; i < n; i++) store_u16(dst, i, f32_to_f16_one(load_f32(src, i)));
}

void bk_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)load_u16(src, i) << 16;
        memcpy((char *)dst + 4 * i, &bits, 4);
    }
}

void bk_f32_to_bf16(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t x;
        memcpy(&x, (const char *)src + 4 * i, 4);
        if ((x & 0x7FFFFFFFu) > 0x7F800000u) { store_u16(dst, i, 0x7FC0); continue; }
        store_u16(dst, i, (uint16_t)((x + 0x7FFF + ((x >> 16) & 1)) >> 16));
    }
}
