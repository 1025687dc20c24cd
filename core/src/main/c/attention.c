/* Attention of one head of one token over a paged KV cache (Attention.java). */
#include "kernels.h"

/*
 * Causal attention of one head of one token over its sequence in a paged KV cache (Attention.java):
 *   s_p = (q . k_p) * scale,  w_p = exp(s_p - max s) / sum exp(s - max s),  out = sum_p w_p v_p,  p in [0, pos]
 * Position p's vector starts at element base + (blocks[p / blockSize] * blockSize + p % blockSize) * stride of
 * keys and values, float32 or F16 (base: the layer's first element plus the head's offset; struct gptq4j_kv_cache holds the rest).
 * Eight-lane FMAs in four chains over the head dimension, exp by a polynomial, sums in a fixed order: a token's head
 * has the same bits whatever else runs.
 */
/* e^x for x <= 0 (softmax arguments), 8 lanes: 2^n e^r with n = round(x / ln 2), |r| <= ln 2 / 2, e^r by its degree-6
 * Taylor polynomial (relative error < 3e-8 before rounding); below -87 it flushes to 0. */
AVX2_TARGET INLINE __m256 exp_neg_ps(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145752f), x);  /* ln 2 in two parts: r = x - n ln 2 exactly enough */
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860677e-6f), r);
    __m256 y = _mm256_set1_ps(1.0f / 720);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.0f / 120));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.0f / 24));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.0f / 6));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(0.5f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.0f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(y, _mm256_castsi256_ps(e)), _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_GT_OQ));
}

/* Eight elements of a key or value vector from element i of its cache as floats: float32 as they are, F16 widened by
 * F16C (exact: every F16 is a float). One element: kv_load1. */
AVX2_TARGET INLINE __m256 kv_load8(const void *kv, long i, const int F16) {
    return F16 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) ((const uint16_t *) kv + i)))
               : _mm256_loadu_ps((const float *) kv + i);
}

AVX2_TARGET INLINE float kv_load1(const void *kv, long i, const int F16) {
    return F16 ? _cvtsh_ss(((const uint16_t *) kv)[i]) : ((const float *) kv)[i];
}

/* Asks for the `lines` cache lines of one position's vector at element i into L2. */
AVX2_TARGET INLINE void kv_prefetch(const void *kv, long i, long lines, const int F16) {
    const char *p = (const char *) kv + i * (F16 ? 2 : 4);
    for (long l = 0; l < lines; l++) _mm_prefetch(p + 64 * l, _MM_HINT_T1);
}

/* The kernel for one precision (F16: the cache holds F16 elements, else float32); element indices as gptq4j.h's. */
AVX2_TARGET INLINE void attend(const int F16, const struct gptq4j_kv_cache *kv, int64_t base, const int32_t *blocks,
                               int hd, int pos, float scale, const float *q, float *scores, float *out) {
    const void *keys = kv->keys, *values = kv->values;
    const int blockSize = kv->block_size, stride = kv->stride;
    const int whole = hd / 8 * 8;
    float max = -INFINITY;
    const long lines = ((long) hd * (F16 ? 2 : 4) + 63) / 64; /* cache lines of one position's vector */
    for (int b = 0, p = 0; p <= pos; b++) { /* position p = b * blockSize + slot */
        const long kb = base + (long) blocks[b] * blockSize * stride;
        const long next = p + blockSize <= pos ? base + (long) blocks[b + 1] * blockSize * stride : -1;
        for (int slot = 0; slot < blockSize && p <= pos; slot++, p++) {
            const long k = kb + (long) slot * stride;
            if (next >= 0) kv_prefetch(keys, next + (long) slot * stride, lines, F16); /* the next block is elsewhere */
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            int d = 0;
            for (; d + 32 <= whole; d += 32) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), kv_load8(keys, k + d, F16), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8), kv_load8(keys, k + d + 8, F16), a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 16), kv_load8(keys, k + d + 16, F16), a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 24), kv_load8(keys, k + d + 24, F16), a3);
            }
            for (; d < whole; d += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), kv_load8(keys, k + d, F16), a0);
            float s = hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
            for (; d < hd; d++) s += q[d] * kv_load1(keys, k + d, F16);
            scores[p] = s * scale;
            if (scores[p] > max) max = scores[p];
        }
    }
    /* w_p = exp(s_p - max) / sum: eight lanes at a time, the sum in lane order then the tail */
    __m256 vmax = _mm256_set1_ps(max), vsum = _mm256_setzero_ps();
    int p = 0;
    for (; p + 8 <= pos + 1; p += 8) {
        __m256 w = exp_neg_ps(_mm256_sub_ps(_mm256_loadu_ps(scores + p), vmax));
        _mm256_storeu_ps(scores + p, w);
        vsum = _mm256_add_ps(vsum, w);
    }
    float sum = hsum_ps(vsum);
    for (; p <= pos; p++) {
        __m256 w = exp_neg_ps(_mm256_set1_ps(scores[p] - max));
        scores[p] = _mm256_cvtss_f32(w);
        sum += scores[p];
    }
    for (p = 0; p <= pos; p++) scores[p] /= sum;
    /* out[d] = sum_p w_p v_p[d]: block by block, and within a block 64 dimensions at a time in eight registers that
     * wait in out between blocks, so that each block's values are read from memory once; every out[d] still sums its
     * positions in order, one fused step each */
    for (int d = 0; d < hd; d++) out[d] = 0.0f;
    for (int b = 0, p0 = 0; p0 <= pos; b++, p0 += blockSize) {
        const int count = pos + 1 - p0 < blockSize ? pos + 1 - p0 : blockSize;
        const long vb = base + (long) blocks[b] * blockSize * stride;
        if (p0 + blockSize <= pos)
            for (int slot = 0; slot < blockSize; slot++)
                kv_prefetch(values, base + (long) blocks[b + 1] * blockSize * stride + (long) slot * stride, lines, F16);
        for (int d0 = 0; d0 < hd; d0 += 64) {
            int n = hd - d0 < 64 ? hd - d0 : 64, vecs = n / 8;
            __m256 acc[8];
            for (int i = 0; i < vecs; i++) acc[i] = _mm256_loadu_ps(out + d0 + 8 * i);
            for (int slot = 0; slot < count; slot++) {
                const long v = vb + (long) slot * stride + d0;
                const float w = scores[p0 + slot];
                __m256 wv = _mm256_set1_ps(w);
                for (int i = 0; i < vecs; i++) acc[i] = _mm256_fmadd_ps(wv, kv_load8(values, v + 8 * i, F16), acc[i]);
                for (int j = 8 * vecs; j < n; j++) out[d0 + j] = fmaf(w, kv_load1(values, v + j, F16), out[d0 + j]);
            }
            for (int i = 0; i < vecs; i++) _mm256_storeu_ps(out + d0 + 8 * i, acc[i]);
        }
    }
}

AVX2_TARGET void gptq4j_attend(const struct gptq4j_kv_cache *kv, int64_t base, const int32_t *blocks, int hd, int pos,
                               float scale, const float *q, float *scores, float *out) {
    if (kv->precision == GPTQ4J_KV_F16) attend(1, kv, base, blocks, hd, pos, scale, q, scores, out);
    else attend(0, kv, base, blocks, hd, pos, scale, q, scores, out);
}
