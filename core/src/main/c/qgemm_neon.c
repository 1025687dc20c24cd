/*
 * The aarch64 quantized product (levels 5 and 6, gptq4j.h): the exact integers V of every chunk by NEON dot products
 * of the weight codes with the two activation planes, then gptq4j.h's float steps per chunk in chunk order, so that
 * its bits are those of every x86 level and of the Java kernel. Level 6 multiplies with sdot (ARMv8.2 DotProd);
 * level 5 with widening multiplies (smull, smlal2) and pairwise accumulation (sadalp), for CPUs without it. Level 7
 * (qgemm_i8mm_neon.c, smmla) takes batches; gptq4j_qgemm below picks the kernel.
 */
#include "kernels.h"
#include "kernels_neon.h"

/* acc + the dot products of 16 int8 pairs, four adjacent products per int32 lane (|a| <= 128, |b| <= 127: exact). */
DOTPROD_TARGET INLINE int32x4_t dot_sdot(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
}

/* The same sum without sdot: int16 products of 8 pairs each half, two adjacent ones added into an int16 lane
 * (|.| <= 2 * 128 * 127 < 2^15), then added pairwise into the int32 lanes. Which products land in which lane
 * differs from sdot; the lanes' total, all V uses, is the same exact integer. */
INLINE int32x4_t dot_plain(int32x4_t acc, int8x16_t a, int8x16_t b) {
    int16x8_t p = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    p = vmlal_high_s8(p, a, b);
    return vpadalq_s16(acc, p);
}

/*
 * NT tokens (rows of x from t0) against output row n: out[t] = acc of gptq4j.h over every chunk. Each chunk's codes
 * are unpacked once into int8 vectors (at most 4 blocks: 8 vectors) and feed the NT tokens.
 *   4-bit: the chunk's byte j (16 nbk of them) holds slot j in its low nibble, slot 16 nbk + j in its high nibble
 *   8-bit: 32 signed codes per block in position order
 */
#define NEON_ROW(NAME, TARGET, DOT)                                                                                     \
TARGET INLINE void NAME(const int BITS, const int NT, const struct gptq4j_weights *w, const struct gptq4j_activations *x, \
                        int t0, int n, float *out) {                                                                    \
    const int chunks = w->chunks, groups = w->groups;                                                                   \
    const int64_t xstride = w->nb * (int64_t) 32;                                                                       \
    const uint8_t *row = w->codes + n * w->row_bytes;                                                                   \
    const uint16_t *s = w->scales + (int64_t) n * groups;                                                               \
    const int16_t *z = w->zeros + (int64_t) n * groups;                                                                 \
    float acc[TILE] = {0.0f, 0.0f, 0.0f, 0.0f};                                                                         \
    for (int c = 0; c < chunks; c++) {                                                                                  \
        const int b0 = w->chunk_block[c], nbk = w->chunk_block[c + 1] - b0;                                             \
        int8x16_t q[8];                                                                                                 \
        if (BITS == 8) {                                                                                                \
            const int8_t *src = (const int8_t *) row + b0 * 32;                                                         \
            for (int v = 0; v < 2 * nbk; v++) q[v] = vld1q_s8(src + 16 * v);                                            \
        } else {                                                                                                        \
            const uint8_t *src = row + b0 * 16;                                                                         \
            for (int b = 0; b < nbk; b++) {                                                                             \
                uint8x16_t bytes = vld1q_u8(src + 16 * b);                                                              \
                q[b] = vreinterpretq_s8_u8(vandq_u8(bytes, vdupq_n_u8(0x0F)));   /* slots 16 b .. */                    \
                q[nbk + b] = vreinterpretq_s8_u8(vshrq_n_u8(bytes, 4));          /* slots 16 nbk + 16 b .. */           \
            }                                                                                                           \
        }                                                                                                               \
        const int g = w->chunk_group[c];                                                                                \
        const float sg = f16_to_f32(s[g]), zg = (float) z[g];                                                           \
        for (int t = 0; t < NT; t++) {                                                                                  \
            const int64_t r = t0 + t;                                                                                   \
            const int8_t *h = x->hi + r * xstride + b0 * 32, *l = x->lo + r * xstride + b0 * 32;                        \
            int32x4_t ah = vdupq_n_s32(0), al = vdupq_n_s32(0);                                                         \
            for (int v = 0; v < 2 * nbk; v++) {                                                                         \
                ah = DOT(ah, q[v], vld1q_s8(h + 16 * v));                                                               \
                al = DOT(al, q[v], vld1q_s8(l + 16 * v));                                                               \
            }                                                                                                           \
            const int32_t V = 254 * vaddvq_s32(ah) + vaddvq_s32(al);                                                    \
            const float S = (float) x->sums[r * chunks + c], e = x->e[r * chunks + c];                                  \
            acc[t] = fmaf(fmaf(-zg, S, (float) V), sg * e, acc[t]);                                                     \
        }                                                                                                               \
    }                                                                                                                   \
    for (int t = 0; t < NT; t++) out[t] = acc[t];                                                                       \
}

NEON_ROW(row_plain, , dot_plain)
NEON_ROW(row_sdot, DOTPROD_TARGET, dot_sdot)

/* Rows in chunks of ROW_CHUNK that stay in cache while every tile of up to TILE tokens passes. */
#define NEON_PRODUCT(NAME, TARGET, ROW)                                                                                 \
TARGET static void NAME(const int BITS, const struct gptq4j_weights *w, const struct gptq4j_activations *x,              \
                        const struct gptq4j_output *o) {                                                                \
    float out[TILE];                                                                                                    \
    for (int c0 = o->n0; c0 < o->n1; c0 += ROW_CHUNK) {                                                                 \
        int c1 = c0 + ROW_CHUNK < o->n1 ? c0 + ROW_CHUNK : o->n1;                                                       \
        for (int t0 = 0; t0 < x->rows; t0 += TILE) {                                                                    \
            int nt = x->rows - t0 < TILE ? x->rows - t0 : TILE;                                                         \
            for (int n = c0; n < c1; n++) {                                                                             \
                switch (nt) {                                                                                           \
                    case 4: ROW(BITS, 4, w, x, t0, n, out); break;                                                      \
                    case 3: ROW(BITS, 3, w, x, t0, n, out); break;                                                      \
                    case 2: ROW(BITS, 2, w, x, t0, n, out); break;                                                      \
                    default: ROW(BITS, 1, w, x, t0, n, out); break;                                                     \
                }                                                                                                       \
                for (int t = 0; t < nt; t++)                                                                            \
                    o->y[(int64_t) (t0 + t) * o->ystride + n] = o->bias ? out[t] + o->bias[n] : out[t];                 \
            }                                                                                                           \
        }                                                                                                               \
    }                                                                                                                   \
}

NEON_PRODUCT(product_plain, , row_plain)
NEON_PRODUCT(product_sdot, DOTPROD_TARGET, row_sdot)

/* Level 7 for batches (smmla multiplies two tokens at once: qgemm_i8mm_neon.c), level 6 for single tokens there and
 * for everything where the CPU has the dot products but no i8mm (Java passes only levels of gptq4j_cpu_levels), level 5
 * otherwise; the bit width as a constant, so that each kernel is compiled for it. */
int gptq4j_qgemm(int level, const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                 float *y, int ystride, const float *bias, int n0, int n1) {
    const struct gptq4j_output o = {y, bias, ystride, n0, n1};
    if (level == LEVEL_NEON_I8MM && x->rows >= 2) return gptq4j_qgemm_i8mm(w, x, &o);
    if (level == LEVEL_NEON_DOTPROD || level == LEVEL_NEON_I8MM) {
        if (w->bits == 8) product_sdot(8, w, x, &o);
        else product_sdot(4, w, x, &o);
    } else {
        if (w->bits == 8) product_plain(8, w, x, &o);
        else product_plain(4, w, x, &o);
    }
    return 0;
}
