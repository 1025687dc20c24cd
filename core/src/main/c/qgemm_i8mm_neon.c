/*
 * Level 7 of the aarch64 quantized product (gptq4j.h): batches of 2 tokens or more by the int8 matrix multiply smmla
 * (FEAT_I8MM), with the bits of every other level. gptq4j_qgemm (qgemm_neon.c) sends single tokens to level 6's sdot
 * kernel: one token has one column, and smmla multiplies two.
 *
 * smmla (vmmlaq_s32(acc, a, b)) reads a and b each as a 2 x 8 int8 matrix, rows a0 = a[0..7], a1 = a[8..15] (b0, b1
 * likewise), and adds a times b transposed to the 2 x 2 int32 matrix acc, exactly:
 *   acc = [acc0 + a0.b0, acc1 + a0.b1, acc2 + a1.b0, acc3 + a1.b1]
 * Here a holds 8 slots of two weight rows n, m (vzip1q_s64 / vzip2q_s64 of their 16-slot code vectors) and b the same
 * 8 slots of one activation plane of two tokens a, b, so one smmla adds 8 products to each output of the pair of pairs
 *   lanes [(n, a), (n, b), (m, a), (m, b)].
 * A tile is up to 2 row pairs x 2 token pairs (4 rows x 4 tokens). Per chunk it sums the exact int32 dots H (hi plane)
 * and L (lo plane) of every output over the chunk's slots (|H|, |L| < 2^21), then takes gptq4j.h's float steps in
 * NEON lanes, the same operations in the same order as the scalar code for each output:
 *   V = 254 H + L,   v = fmaf(-z, (float) S, (float) V),   acc = fmaf(v, s * e, acc)
 * (vfmaq_f32 is fused as fmaf, vmulq_f32 rounds s * e once as the scalar product does). A tile short of rows or tokens
 * (odd counts, the last rows of a range) repeats its last row or token in the missing lanes, which are computed and
 * never written.
 */
#include "kernels.h"
#include "kernels_neon.h"

#define TILE_ROWS 4 /* weight rows per tile (two row pairs); tokens per tile: TILE (kernels.h), two token pairs */

/* acc + a times b transposed (smmla, see above). */
I8MM_TARGET INLINE int32x4_t mmla(int32x4_t acc, int8x16_t a, int8x16_t b) {
#ifdef __clang__
    return (int32x4_t) __builtin_neon_vmmlaq_v((int8x16_t) acc, a, b, 34); /* vmmlaq_s32's body in clang's arm_neon.h */
#else
    return vmmlaq_s32(acc, a, b);
#endif
}

/* 16 slots of two rows' codes, or of two tokens' plane, as smmla reads them: lo = slots 0-7 of the first, then slots
 * 0-7 of the second; hi = slots 8-15 of the first, then of the second. */
typedef struct { int8x16_t lo, hi; } pair16;

INLINE pair16 pair16_of(int8x16_t first, int8x16_t second) {
    const int64x2_t f = vreinterpretq_s64_s8(first), s = vreinterpretq_s64_s8(second);
    return (pair16) {vreinterpretq_s8_s64(vzip1q_s64(f, s)), vreinterpretq_s8_s64(vzip2q_s64(f, s))};
}

/* The low and the high nibbles of 4-bit code bytes (unsigned codes 0..15); pairing commutes with them, so the bytes
 * of two rows are paired once and then split. */
INLINE pair16 low_nibbles(pair16 p) {
    const uint8x16_t m = vdupq_n_u8(0x0F);
    return (pair16) {vreinterpretq_s8_u8(vandq_u8(vreinterpretq_u8_s8(p.lo), m)),
                     vreinterpretq_s8_u8(vandq_u8(vreinterpretq_u8_s8(p.hi), m))};
}

INLINE pair16 high_nibbles(pair16 p) {
    return (pair16) {vreinterpretq_s8_u8(vshrq_n_u8(vreinterpretq_u8_s8(p.lo), 4)),
                     vreinterpretq_s8_u8(vshrq_n_u8(vreinterpretq_u8_s8(p.hi), 4))};
}

/* acc + the products over 16 slots of rows (n, m) = q and tokens (a, b) = x, lanes [(n,a), (n,b), (m,a), (m,b)]. */
I8MM_TARGET INLINE int32x4_t mm16(int32x4_t acc, pair16 q, pair16 x) {
    return mmla(mmla(acc, q.lo, x.lo), q.hi, x.hi);
}

/* A tile: rows row[0..3] (row pair rp: row[2 rp], row[2 rp + 1]), their codes, and tokens tok[0..3] (token pair tp:
 * tok[2 tp], tok[2 tp + 1]), their planes; a short tile repeats its last row and token (nr, nt: the real ones). */
struct tile {
    int row[4], nr, nt;
    int64_t tok[4];
    const uint8_t *codes[4];
    const int8_t *hi[4], *lo[4];
};

/* One chunk's exact dots of a tile: h[rp][tp] with the hi plane, l[rp][tp] with the lo plane, lanes as mm16's. */
struct tile_dots {
    int32x4_t h[2][2], l[2][2];
};

/* d + the products over the 16 slots at plane offset off of every row pair (codes q[rp]) and token pair. */
I8MM_TARGET INLINE void slot_vector_dots(const int RP, const int TP, const pair16 q[2], const struct tile *t, int64_t off,
                                         struct tile_dots *d) {
    for (int tp = 0; tp < TP; tp++) {
        const pair16 h = pair16_of(vld1q_s8(t->hi[2 * tp] + off), vld1q_s8(t->hi[2 * tp + 1] + off));
        const pair16 l = pair16_of(vld1q_s8(t->lo[2 * tp] + off), vld1q_s8(t->lo[2 * tp + 1] + off));
        for (int rp = 0; rp < RP; rp++) {
            d->h[rp][tp] = mm16(d->h[rp][tp], q[rp], h);
            d->l[rp][tp] = mm16(d->l[rp][tp], q[rp], l);
        }
    }
}

/*
 * The dots of the chunk of blocks [b0, b0 + nbk) for the tile's RP row pairs x TP token pairs; its slots start at
 * plane offset 32 b0.
 *   8-bit: 16 signed codes per vector in slot (position) order, 2 nbk vectors
 *   4-bit: the chunk's byte j (16 nbk of them, block b holding bytes 16 b ..) has slot j in its low nibble and slot
 *          16 nbk + j in its high nibble: block b gives slots 16 b .. 16 b + 15 and 16 nbk + 16 b .. 16 nbk + 16 b + 15
 */
I8MM_TARGET INLINE void chunk_dots(const int BITS, const int RP, const int TP, const struct tile *t, int b0, int nbk,
                                   struct tile_dots *d) {
    for (int rp = 0; rp < 2; rp++)
        for (int tp = 0; tp < 2; tp++) d->h[rp][tp] = d->l[rp][tp] = vdupq_n_s32(0);
    const int64_t base = b0 * (int64_t) 32;
    pair16 q[2];
    if (BITS == 8) {
        for (int v = 0; v < 2 * nbk; v++) {
            for (int rp = 0; rp < RP; rp++)
                q[rp] = pair16_of(vld1q_s8((const int8_t *) t->codes[2 * rp] + base + 16 * v),
                                  vld1q_s8((const int8_t *) t->codes[2 * rp + 1] + base + 16 * v));
            slot_vector_dots(RP, TP, q, t, base + 16 * v, d);
        }
    } else {
        for (int b = 0; b < nbk; b++) {
            pair16 bytes[2], high[2];
            for (int rp = 0; rp < RP; rp++) {
                bytes[rp] = pair16_of(vld1q_s8((const int8_t *) t->codes[2 * rp] + (b0 + b) * 16),
                                      vld1q_s8((const int8_t *) t->codes[2 * rp + 1] + (b0 + b) * 16));
                q[rp] = low_nibbles(bytes[rp]);
                high[rp] = high_nibbles(bytes[rp]);
            }
            slot_vector_dots(RP, TP, q, t, base + 16 * b, d);
            slot_vector_dots(RP, TP, high, t, base + 16 * (nbk + b), d);
        }
    }
}

/* Two floats as the four lanes of a row pair (first, first, second, second) or of a token pair (first, second,
 * first, second), matching mm16's lanes. */
INLINE float32x4_t row_lanes(float first, float second) {
    return vcombine_f32(vdup_n_f32(first), vdup_n_f32(second));
}

INLINE float32x4_t token_lanes(float first, float second) {
    const float32x2_t d = vset_lane_f32(second, vdup_n_f32(first), 1);
    return vcombine_f32(d, d);
}

/* gptq4j.h's float steps of one chunk, lane by lane: V = 254 H + L (exact: |V| < 2^30), v = fmaf(-z, (float) S,
 * (float) V), acc = fmaf(v, s * e, acc); z and s are the lanes' rows' (row_lanes), S and e their tokens'. */
INLINE float32x4_t chunk_step(float32x4_t acc, int32x4_t h, int32x4_t l, float32x4_t neg_z, float32x4_t s,
                              float32x4_t sums, float32x4_t e) {
    const int32x4_t V = vmlaq_n_s32(l, h, 254);
    const float32x4_t v = vfmaq_f32(vcvtq_f32_s32(V), neg_z, sums);
    return vfmaq_f32(acc, v, vmulq_f32(s, e));
}

/* y of the tile's real rows and tokens (+ bias), from acc[rp][tp] (lanes as mm16's). */
INLINE void store_tile(const int RP, const int TP, const struct tile *t, float32x4_t acc[2][2],
                       const struct gptq4j_output *o) {
    for (int rp = 0; rp < RP; rp++)
        for (int tp = 0; tp < TP; tp++) {
            float lanes[4];
            vst1q_f32(lanes, acc[rp][tp]);
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) {
                    if (2 * rp + i >= t->nr || 2 * tp + j >= t->nt) continue; /* a repeated row or token */
                    const int n = t->row[2 * rp + i];
                    o->y[t->tok[2 * tp + j] * o->ystride + n] = o->bias ? lanes[2 * i + j] + o->bias[n] : lanes[2 * i + j];
                }
        }
}

/* The tile of rows n .. n + nr - 1 (nr <= 4) and tokens t0 .. t0 + nt - 1 (nt <= 4): RP = 2 where nr > 2, TP = 2
 * where nt > 2, else 1 (constants, so that each shape is compiled for itself). */
I8MM_TARGET INLINE void product_tile(const int BITS, const int RP, const int TP, const struct gptq4j_weights *w,
                                     const struct gptq4j_activations *x, const struct gptq4j_output *o,
                                     int n, int nr, int t0, int nt) {
    const int chunks = w->chunks, groups = w->groups;
    const int64_t xstride = w->nb * (int64_t) 32;
    struct tile t = {.nr = nr, .nt = nt};
    for (int i = 0; i < 4; i++) {
        t.row[i] = n + (i < nr ? i : nr - 1);
        t.codes[i] = w->codes + t.row[i] * w->row_bytes;
        t.tok[i] = t0 + (i < nt ? i : nt - 1);
        t.hi[i] = x->hi + t.tok[i] * xstride;
        t.lo[i] = x->lo + t.tok[i] * xstride;
    }
    float32x4_t acc[2][2];
    for (int rp = 0; rp < 2; rp++)
        for (int tp = 0; tp < 2; tp++) acc[rp][tp] = vdupq_n_f32(0.0f);
    for (int c = 0; c < chunks; c++) {
        const int b0 = w->chunk_block[c], nbk = w->chunk_block[c + 1] - b0, g = w->chunk_group[c];
        struct tile_dots d;
        chunk_dots(BITS, RP, TP, &t, b0, nbk, &d);
        for (int rp = 0; rp < RP; rp++) {
            const int64_t sn = (int64_t) t.row[2 * rp] * groups + g, sm = (int64_t) t.row[2 * rp + 1] * groups + g;
            const float32x4_t s = row_lanes(f16_to_f32(w->scales[sn]), f16_to_f32(w->scales[sm]));
            const float32x4_t neg_z = row_lanes(-(float) w->zeros[sn], -(float) w->zeros[sm]);
            for (int tp = 0; tp < TP; tp++) {
                const int64_t ea = t.tok[2 * tp] * chunks + c, eb = t.tok[2 * tp + 1] * chunks + c;
                const float32x4_t sums = token_lanes((float) x->sums[ea], (float) x->sums[eb]);
                const float32x4_t e = token_lanes(x->e[ea], x->e[eb]);
                acc[rp][tp] = chunk_step(acc[rp][tp], d.h[rp][tp], d.l[rp][tp], neg_z, s, sums, e);
            }
        }
    }
    store_tile(RP, TP, &t, acc, o);
}

/* Rows in chunks of ROW_CHUNK that stay in cache while every tile of up to TILE tokens passes, in tiles of up to
 * TILE_ROWS rows. */
I8MM_TARGET static void product_i8mm(const int BITS, const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                     const struct gptq4j_output *o) {
    for (int c0 = o->n0; c0 < o->n1; c0 += ROW_CHUNK) {
        const int c1 = c0 + ROW_CHUNK < o->n1 ? c0 + ROW_CHUNK : o->n1;
        for (int t0 = 0; t0 < x->rows; t0 += TILE) {
            const int nt = x->rows - t0 < TILE ? x->rows - t0 : TILE;
            for (int n = c0; n < c1; n += TILE_ROWS) {
                const int nr = c1 - n < TILE_ROWS ? c1 - n : TILE_ROWS;
                if (nr > 2 && nt > 2) product_tile(BITS, 2, 2, w, x, o, n, nr, t0, nt);
                else if (nr > 2) product_tile(BITS, 2, 1, w, x, o, n, nr, t0, nt);
                else if (nt > 2) product_tile(BITS, 1, 2, w, x, o, n, nr, t0, nt);
                else product_tile(BITS, 1, 1, w, x, o, n, nr, t0, nt);
            }
        }
    }
}

/* The bit width as a constant, so that each kernel is compiled for it. */
I8MM_TARGET int gptq4j_qgemm_i8mm(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                  const struct gptq4j_output *o) {
    if (w->bits == 8) product_i8mm(8, w, x, o);
    else product_i8mm(4, w, x, o);
    return 0;
}
