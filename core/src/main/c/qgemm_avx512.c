/* The AVX-512 VNNI product kernel (level 3, and level 4 for single tokens): two rows, up to 4 tokens at a time. */
#include "kernels.h"

/*
 * Decode reads every weight once for one token, so it is bound by memory bandwidth if the instructions per weight
 * byte stay few: a whole chunk per 512-bit step, two rows at a time sharing each activation load, and one reduction
 * per chunk for both rows' integer sums. Each row's bytes are prefetched into L2 two passes ahead (the same offset
 * DECODE_PREFETCH_ROWS rows on): on Zen 4, two threads, 11008x4096 4-bit, 1.02 ms per product against 1.43 for 4 KiB
 * ahead into L1 (the earlier 17-18.5 GB/s on Sapphire Rapids were with that).
 */
#define DECODE_ROWS 2
#define DECODE_PREFETCH_ROWS (2 * DECODE_ROWS)

/* The lane sums of v0 and v1 in lanes 0 and 1. */
AVX512_TARGET INLINE __m128i reduce2_avx512(__m512i v0, __m512i v1) {
    __m512i a = _mm512_add_epi32(_mm512_unpacklo_epi32(v0, v1), _mm512_unpackhi_epi32(v0, v1)); /* v0 v1 v0 v1 */
    a = _mm512_add_epi32(a, _mm512_shuffle_epi32(a, (_MM_PERM_ENUM) 0x4E));                       /* v0 v1 . . */
    __m256i d = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(d), _mm256_extracti128_si256(d, 1));
}

/* out[t][r] = y of rows w[r], r < NR (<= DECODE_ROWS), for tokens t < NT (<= TILE; activations xstride apart);
 * each row's bytes `ahead` on are prefetched. */
AVX512_TARGET INLINE void rows_avx512(const int BITS, const int NR, const int NT, const uint8_t *const *w,
        const uint16_t *const *s, const int16_t *const *z, const int32_t *cblk, const int32_t *cgrp, int chunks,
        const int8_t *hi, const int8_t *lo, long xstride, const float *xe, const int32_t *xs, long ahead,
        float out[TILE][DECODE_ROWS]) {
    const long bb = BITS == 8 ? 32 : 16;
    float acc[TILE][DECODE_ROWS];
    for (int t = 0; t < NT; t++) for (int r = 0; r < DECODE_ROWS; r++) acc[t][r] = 0.0f;
    for (int c = 0; c < chunks; c++) {
        __m512i ah[TILE][DECODE_ROWS], al[TILE][DECODE_ROWS];
        for (int t = 0; t < NT; t++) for (int r = 0; r < DECODE_ROWS; r++) ah[t][r] = al[t][r] = _mm512_setzero_si512();
        int b0 = cblk[c], nbk = cblk[c + 1] - b0;
        const long x0 = b0 * 32L;
        if (BITS == 8) { /* 32 nbk bytes in position order, in up to two 64-byte halves */
            for (int half = 0; half * 2 < nbk; half++) {
                __mmask64 m = nbk - 2 * half >= 2 ? ~0ULL : 0xFFFFFFFFULL;
                for (int r = 0; r < NR; r++) {
                    const uint8_t *p = w[r] + b0 * bb + 64 * half;
                    _mm_prefetch((const char *) p + ahead, _MM_HINT_T1);
                    __m512i q = _mm512_maskz_loadu_epi8(m, p);
                    __mmask64 neg = _mm512_movepi8_mask(q); /* |q| (x negated where q < 0) = q x */
                    q = _mm512_abs_epi8(q);
                    for (int t = 0; t < NT; t++) {
                        __m512i xh = _mm512_maskz_loadu_epi8(m, hi + t * xstride + x0 + 64 * half);
                        __m512i xl = _mm512_maskz_loadu_epi8(m, lo + t * xstride + x0 + 64 * half);
                        ah[t][r] = _mm512_dpbusd_epi32(ah[t][r], q, _mm512_mask_sub_epi8(xh, neg, _mm512_setzero_si512(), xh));
                        al[t][r] = _mm512_dpbusd_epi32(al[t][r], q, _mm512_mask_sub_epi8(xl, neg, _mm512_setzero_si512(), xl));
                    }
                }
            }
        } else { /* the chunk's 16 nbk bytes at once: low nibbles meet slots 0.., high nibbles slots 16 nbk.. */
            __mmask64 m = nbk >= 4 ? ~0ULL : (1ULL << (16 * nbk)) - 1;
            __m512i nib = _mm512_set1_epi8(0x0F);
            for (int r = 0; r < NR; r++) {
                const uint8_t *p = w[r] + b0 * bb;
                _mm_prefetch((const char *) p + ahead, _MM_HINT_T1);
                __m512i v = _mm512_maskz_loadu_epi8(m, p);
                __m512i ql = _mm512_and_si512(v, nib), qh = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
                for (int t = 0; t < NT; t++) {
                    const int8_t *h = hi + t * xstride + x0, *l = lo + t * xstride + x0;
                    ah[t][r] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(ah[t][r], ql, _mm512_maskz_loadu_epi8(m, h)), qh,
                                                   _mm512_maskz_loadu_epi8(m, h + 16 * nbk));
                    al[t][r] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(al[t][r], ql, _mm512_maskz_loadu_epi8(m, l)), qh,
                                                   _mm512_maskz_loadu_epi8(m, l + 16 * nbk));
                }
            }
        }
        __m512i k254 = _mm512_set1_epi32(254);
        int g = cgrp[c];
        for (int t = 0; t < NT; t++) {
            for (int r = 0; r < DECODE_ROWS; r++) ah[t][r] = _mm512_add_epi32(_mm512_mullo_epi32(ah[t][r], k254), al[t][r]);
            int32_t v[4];
            _mm_storeu_si128((__m128i *) v, reduce2_avx512(ah[t][0], ah[t][1]));
            float st = (float) xs[t * (long) chunks + c], et = xe[t * (long) chunks + c];
            for (int r = 0; r < NR; r++) acc[t][r] = fmaf(fmaf(-(float) z[r][g], st, (float) v[r]), _cvtsh_ss(s[r][g]) * et, acc[t][r]);
        }
    }
    for (int t = 0; t < NT; t++) for (int r = 0; r < NR; r++) out[t][r] = acc[t][r];
}

/* Rows two at a time; tokens in tiles of up to 4 (each pair of weight rows stays in L1 while the tiles pass). */
AVX512_TARGET INLINE void simd_bits_avx512(const int BITS, const struct gptq4j_weights *wt, const struct gptq4j_activations *x,
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
    float out[TILE][DECODE_ROWS];
    for (int n = n0; n < n1; n += DECODE_ROWS) {
        int nr = n1 - n < DECODE_ROWS ? n1 - n : DECODE_ROWS;
        const uint8_t *w[DECODE_ROWS];
        const uint16_t *s[DECODE_ROWS];
        const int16_t *z[DECODE_ROWS];
        for (int r = 0; r < DECODE_ROWS; r++) {
            int m = n + (r < nr ? r : 0);
            w[r] = codes + m * rowBytes;
            s[r] = scales + (long) m * groups;
            z[r] = zeros + (long) m * groups;
        }
        for (int t0 = 0; t0 < rows; t0 += TILE) {
            int nt = rows - t0 < TILE ? rows - t0 : TILE;
            const int8_t *h = hi + t0 * xstride, *l = lo + t0 * xstride;
            const float *e = xe + (long) t0 * chunks;
            const int32_t *sx = xs + (long) t0 * chunks;
#define ROWS_AVX512(NR_, NT_) rows_avx512(BITS, NR_, NT_, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, DECODE_PREFETCH_ROWS * rowBytes, out)
            if (nr == DECODE_ROWS) {
                switch (nt) { case 4: ROWS_AVX512(2, 4); break; case 3: ROWS_AVX512(2, 3); break; case 2: ROWS_AVX512(2, 2); break; default: ROWS_AVX512(2, 1); }
            } else {
                switch (nt) { case 4: ROWS_AVX512(1, 4); break; case 3: ROWS_AVX512(1, 3); break; case 2: ROWS_AVX512(1, 2); break; default: ROWS_AVX512(1, 1); }
            }
#undef ROWS_AVX512
            for (int t = 0; t < nt; t++)
                for (int r = 0; r < nr; r++) y[(long) (t0 + t) * ystride + n + r] = bias ? out[t][r] + bias[n + r] : out[t][r];
        }
    }
}

AVX512_TARGET int gptq4j_qgemm_avx512(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                      const struct gptq4j_output *o) {
    if (w->bits == 8) simd_bits_avx512(8, w, x, o);
    else simd_bits_avx512(4, w, x, o);
    return 0;
}
