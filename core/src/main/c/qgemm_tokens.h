/*
 * The 256-bit token kernel: one output row at a time, and up to TILE tokens per pass over it, so that each unpacked
 * weight vector feeds TILE tokens; rows in chunks of ROW_CHUNK that stay in cache while every token tile passes.
 * Per chunk c of a row (blocks [cblk[c], cblk[c+1]) of group g = cgrp[c]) and token t:
 *   H = sum_k q[k] hi[t][k],  L = sum_k q[k] lo[t][k]   (int32 lanes, one horizontal sum per chunk)
 *   v = fmaf(-z[g], (float) S[t][c], (float) (254 H + L)),   acc[t] = fmaf(v, s[g] * e[t][c], acc[t])
 * exactly the steps of gptq4j.h, so that it gives the bits of every other kernel.
 *
 * Shared by qgemm_avx2.c and qgemm_vnni.c, which differ only in the instruction that multiplies u8 by s8. Each defines,
 * before including this file:
 *   TOKEN_TARGET             the functions' instruction-set target (AVX2_TARGET, VNNI_TARGET)
 *   token_dot(acc, u, s)     an INLINE function adding to 8 int32 lanes the dots of 4 consecutive u8 x s8 pairs
 * and gets token_rows(BITS, w, x, o) (static: each file compiles its own copy for its target), which its entry point
 * calls with BITS a constant, 4 or 8.
 */
#ifndef TOKEN_TARGET
#error "define TOKEN_TARGET and token_dot before including qgemm_tokens.h"
#endif

TOKEN_TARGET INLINE __m256i token_low(int whole, const void *p) { /* 32 bytes, or 16 zero-extended */
    return whole ? _mm256_loadu_si256((const __m256i *) p) : _mm256_zextsi128_si256(_mm_loadu_si128((const __m128i *) p));
}
/* out[t] = y of row w for tokens t < NT (a constant at every call site: each weight block is used NT times). */
TOKEN_TARGET INLINE void token_row(const int BITS, const int NT, const uint8_t *w, const uint16_t *s, const int16_t *z,
        const int32_t *cblk, const int32_t *cgrp, int chunks, const int8_t *hi, const int8_t *lo, long xstride,
        const float *xe, const int32_t *xs, float *out) {
    const long bb = BITS == 8 ? 32 : 16; /* bytes per block */
    float acc[TILE];
    for (int t = 0; t < NT; t++) acc[t] = 0.0f;
    for (int c = 0; c < chunks; c++) {
        __m256i ah[TILE], al[TILE];
        for (int t = 0; t < NT; t++) ah[t] = al[t] = _mm256_setzero_si256();
        int b0 = cblk[c], nbk = cblk[c + 1] - b0;
        const uint8_t *wc = w + b0 * bb;
        const long x0 = b0 * 32L;
        if (NT == 1) _mm_prefetch((const char *) wc + 1024, _MM_HINT_T0);
        if (BITS == 8) {
            for (int i = 0; i < nbk; i++) {
                __m256i q = _mm256_loadu_si256((const __m256i *) (wc + 32 * i));
                __m256i aq = _mm256_sign_epi8(q, q); /* |q| as u8; |q| (sign(q) x) = q x */
                for (int t = 0; t < NT; t++) {
                    __m256i xh = _mm256_loadu_si256((const __m256i *) (hi + t * xstride + x0 + 32 * i));
                    __m256i xl = _mm256_loadu_si256((const __m256i *) (lo + t * xstride + x0 + 32 * i));
                    ah[t] = token_dot(ah[t], aq, _mm256_sign_epi8(xh, q));
                    al[t] = token_dot(al[t], aq, _mm256_sign_epi8(xl, q));
                }
            }
        } else { /* two blocks per step: low nibbles meet slots 16i.., high nibbles slots 16 nbk + 16i.. */
            for (int i = 0; i < nbk; i += 2) {
                int two = i + 1 < nbk;
                __m256i v = token_low(two, wc + 16 * i), m = _mm256_set1_epi8(0x0F);
                __m256i ql = _mm256_and_si256(v, m), qh = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);
                for (int t = 0; t < NT; t++) {
                    const int8_t *h = hi + t * xstride + x0, *l = lo + t * xstride + x0;
                    ah[t] = token_dot(ah[t], ql, token_low(two, h + 16 * i));
                    ah[t] = token_dot(ah[t], qh, token_low(two, h + 16 * nbk + 16 * i));
                    al[t] = token_dot(al[t], ql, token_low(two, l + 16 * i));
                    al[t] = token_dot(al[t], qh, token_low(two, l + 16 * nbk + 16 * i));
                }
            }
        }
        int g = cgrp[c];
        for (int t = 0; t < NT; t++) {
            int32_t v1 = 254 * hsum_epi32(ah[t]) + hsum_epi32(al[t]);
            float v = fmaf(-(float) z[g], (float) xs[t * (long) chunks + c], (float) v1);
            acc[t] = fmaf(v, _cvtsh_ss(s[g]) * xe[t * (long) chunks + c], acc[t]);
        }
    }
    for (int t = 0; t < NT; t++) out[t] = acc[t];
}
/* The outputs [o->n0, o->n1) of every token of x, BITS = w->bits (a constant at each call site). */
TOKEN_TARGET INLINE void token_rows(const int BITS, const struct gptq4j_weights *wt, const struct gptq4j_activations *x,
                                    const struct gptq4j_output *o) {
    const uint8_t *codes = wt->codes;
    const uint16_t *scales = wt->scales;
    const int16_t *zeros = wt->zeros;
    const int32_t *cblk = wt->chunk_block, *cgrp = wt->chunk_group;
    const long rowBytes = wt->row_bytes, xstride = wt->nb * 32L;
    const int groups = wt->groups, chunks = wt->chunks, rows = x->rows, ystride = o->ystride, n0 = o->n0, n1 = o->n1;
    const int8_t *hi = x->hi, *lo = x->lo;
    const float *xe = x->e, *bias = o->bias;
    const int32_t *xs = x->sums;
    float *y = o->y;
    float out[TILE];
    for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) { /* a chunk of rows stays in cache while every token passes */
        int c1 = c0 + ROW_CHUNK < n1 ? c0 + ROW_CHUNK : n1;
        for (int r = 0; r < rows; r += TILE) {
            int nt = rows - r < TILE ? rows - r : TILE;
            const int8_t *h = hi + r * xstride, *l = lo + r * xstride;
            const float *e = xe + (long) r * chunks;
            const int32_t *sx = xs + (long) r * chunks;
            for (int n = c0; n < c1; n++) {
                const uint8_t *w = codes + n * rowBytes;
                const uint16_t *s = scales + (long) n * groups;
                const int16_t *z = zeros + (long) n * groups;
                switch (nt) {
                    case 4: token_row(BITS, 4, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;
                    case 3: token_row(BITS, 3, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;
                    case 2: token_row(BITS, 2, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;
                    default: token_row(BITS, 1, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;
                }
                for (int t = 0; t < nt; t++) y[(long) (r + t) * ystride + n] = bias ? out[t] + bias[n] : out[t];
            }
        }
    }
}
