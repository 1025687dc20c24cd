/* Activation quantization: float rows into the two int8 planes of ActivationQuantizer, with the Java bits. */
#include "kernels.h"

/* Java's Math.round(float) on whole-number-range floats: the nearest integer, ties toward +infinity (round to nearest
 * even, then lift the ties that went down). */
AVX2_TARGET INLINE __m256 round_half_up(__m256 u) {
    __m256 r = _mm256_round_ps(u, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 tie = _mm256_cmp_ps(_mm256_sub_ps(u, r), _mm256_set1_ps(0.5f), _CMP_EQ_OQ);
    return _mm256_add_ps(r, _mm256_and_ps(tie, _mm256_set1_ps(1.0f)));
}

/* 32 int32 lanes (each in [-127, 127]) as 32 bytes in lane order. */
AVX2_TARGET INLINE void store_bytes(int8_t *dst, __m256i a, __m256i b, __m256i c, __m256i d) {
    __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d)); /* a0-3 b0-3 c0-3 d0-3 a4-7 ... */
    _mm256_storeu_si256((__m256i *) dst, _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
}

/*
 * ActivationQuantizer.quantizeChunks with the same bits, into out's planes for w: chunks [i0, i1) of the rows of x
 * ([out->rows][in] floats) laid end to end (chunk i is chunk i % chunks of row i / chunks). Slot k of a row reads
 * x[gather[k]] (0 where gather[k] < 0), or x[k] (0 where k >= in) without a gather table. Per chunk: amax = max |x'|, u = x' (127 / amax), hi = round(u), lo = round((u - hi) 254),
 * e = amax / (127 254), S = sum (254 hi + lo), rounding as Java's Math.round.
 */
AVX2_TARGET void gptq4j_quantize(const struct gptq4j_weights *w, const float *x, int in, const int32_t *gather,
                                 const struct gptq4j_activations *out, int i0, int i1) {
    const int32_t *cblk = w->chunk_block;
    const int chunks = w->chunks;
    const long padded = w->nb * 32L;
    int8_t *hi = out->hi, *lo = out->lo;
    float *e = out->e;
    int32_t *sums = out->sums;
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), k254 = _mm256_set1_epi32(254);
    float u[32 * 4 /* CHUNK_BLOCKS */] __attribute__((aligned(32)));
    for (int i = i0; i < i1; i++) {
        int r = i / chunks, c = i % chunks, k0 = cblk[c] * 32, len = (cblk[c + 1] - cblk[c]) * 32;
        const float *xr = x + (long) r * in;
        __m256 amax = _mm256_setzero_ps();
        for (int j = 0; j < len; j += 8) { /* x' of the chunk's slots, and their largest magnitude */
            int k = k0 + j;
            __m256 v;
            if (gather) {
                __m256i idx = _mm256_loadu_si256((const __m256i *) (gather + k));
                __m256 present = _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(-1)));
                v = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xr, idx, present, 4);
            } else {
                __m256i present = _mm256_cmpgt_epi32(_mm256_set1_epi32(in), _mm256_add_epi32(_mm256_set1_epi32(k), lanes));
                v = _mm256_maskload_ps(xr + k, present);
            }
            _mm256_store_ps(u + j, v);
            amax = _mm256_max_ps(amax, _mm256_and_ps(v, absmask));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        float a = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
        __m256 inv = _mm256_set1_ps(a == 0.0f ? 0.0f : 127.0f / a);
        __m256i sum = _mm256_setzero_si256();
        int8_t *h8 = hi + r * padded + k0, *l8 = lo + r * padded + k0;
        for (int j = 0; j < len; j += 32) {
            __m256i h[4], l[4];
            for (int q = 0; q < 4; q++) {
                __m256 v = _mm256_mul_ps(_mm256_load_ps(u + j + 8 * q), inv);
                __m256 hf = round_half_up(v);
                __m256 lf = round_half_up(_mm256_mul_ps(_mm256_sub_ps(v, hf), _mm256_set1_ps(254.0f)));
                lf = _mm256_min_ps(_mm256_max_ps(lf, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
                h[q] = _mm256_cvttps_epi32(hf);
                l[q] = _mm256_cvttps_epi32(lf);
                sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_mullo_epi32(h[q], k254), l[q]));
            }
            store_bytes(h8 + j, h[0], h[1], h[2], h[3]);
            store_bytes(l8 + j, l[0], l[1], l[2], l[3]);
        }
        e[i] = a / 32258.0f; /* 127 * 254 */
        sums[i] = hsum_epi32(sum); /* integers: any order of the lanes is exact */
    }
}
