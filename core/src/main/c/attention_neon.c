/* Attention of one head of one token over a paged KV cache on aarch64, with the bits of attention.c (AVX2): its
 * 8-lane vectors as pairs of NEON halves (kernels_neon.h), the same four FMA chains, exp polynomial and sum orders. */
#include "kernels.h"
#include "kernels_neon.h"

/* attention.c's exp_neg_ps, four lanes: e^x for x <= 0 as 2^n e^r, n = round(x / ln 2) (to nearest even), e^r by its
 * degree-6 Taylor polynomial in fused steps; below -87 it flushes to 0. */
INLINE float32x4_t exp_neg(float32x4_t x) {
    x = vmaxq_f32(x, vdupq_n_f32(-87.0f));
    float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504f)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693145752f)); /* x - n c, fused (_mm256_fnmadd_ps) */
    r = vfmsq_f32(r, n, vdupq_n_f32(1.42860677e-6f));
    float32x4_t y = vdupq_n_f32(1.0f / 720);
    y = vfmaq_f32(vdupq_n_f32(1.0f / 120), y, r);
    y = vfmaq_f32(vdupq_n_f32(1.0f / 24), y, r);
    y = vfmaq_f32(vdupq_n_f32(1.0f / 6), y, r);
    y = vfmaq_f32(vdupq_n_f32(0.5f), y, r);
    y = vfmaq_f32(vdupq_n_f32(1.0f), y, r);
    y = vfmaq_f32(vdupq_n_f32(1.0f), y, r);
    int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    uint32x4_t keep = vcgtq_f32(x, vdupq_n_f32(-87.0f));
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(vmulq_f32(y, vreinterpretq_f32_s32(e))), keep));
}

INLINE f32x8 exp_neg8(f32x8 x) { return (f32x8) {exp_neg(x.lo), exp_neg(x.hi)}; }

/* Four or eight elements of a key or value vector from element i of its cache as floats: float32 as they are, F16
 * widened (exact), as attention.c's kv_load8; one element: kv_load1. */
INLINE float32x4_t kv_load4(const void *kv, int64_t i, const int F16) {
    return F16 ? vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *) kv + i))) : vld1q_f32((const float *) kv + i);
}

INLINE f32x8 kv_load8(const void *kv, int64_t i, const int F16) {
    return (f32x8) {kv_load4(kv, i, F16), kv_load4(kv, i + 4, F16)};
}

/* Asks for the `lines` cache lines of one position's vector at element i into L2 (attention.c's kv_prefetch). */
INLINE void kv_prefetch(const void *kv, int64_t i, int64_t lines, const int F16) {
    const char *p = (const char *) kv + i * (F16 ? 2 : 4);
    for (int64_t l = 0; l < lines; l++) __builtin_prefetch(p + 64 * l, 0, 2);
}

INLINE float kv_load1(const void *kv, int64_t i, const int F16) {
    return F16 ? vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_dup_u16((const uint16_t *) kv + i))), 0)
               : ((const float *) kv)[i];
}

/* gptq4j.h / attention.c: s_p = (q . k_p) scale, w_p = exp(s_p - max s) / sum, out = sum_p w_p v_p, p in [0, pos]. */
INLINE void attend(const int F16, const struct gptq4j_kv_cache *kv, int64_t base, const int32_t *blocks, int hd,
                   int pos, float scale, const float *q, float *scores, float *out) {
    const void *keys = kv->keys, *values = kv->values;
    const int blockSize = kv->block_size, stride = kv->stride;
    const int whole = hd / 8 * 8;
    float max = -INFINITY;
    const int64_t lines = ((int64_t) hd * (F16 ? 2 : 4) + 63) / 64; /* cache lines of one position's vector */
    for (int b = 0, p = 0; p <= pos; b++) { /* position p = b * blockSize + slot */
        const int64_t kb = base + (int64_t) blocks[b] * blockSize * stride;
        const int64_t next = p + blockSize <= pos ? base + (int64_t) blocks[b + 1] * blockSize * stride : -1;
        for (int slot = 0; slot < blockSize && p <= pos; slot++, p++) {
            const int64_t k = kb + (int64_t) slot * stride;
            if (next >= 0) kv_prefetch(keys, next + (int64_t) slot * stride, lines, F16); /* the next block is elsewhere */
            f32x8 a0 = f32x8_zero(), a1 = a0, a2 = a0, a3 = a0;
            int d = 0;
            for (; d + 32 <= whole; d += 32) {
                a0 = f32x8_fma(f32x8_load(q + d), kv_load8(keys, k + d, F16), a0);
                a1 = f32x8_fma(f32x8_load(q + d + 8), kv_load8(keys, k + d + 8, F16), a1);
                a2 = f32x8_fma(f32x8_load(q + d + 16), kv_load8(keys, k + d + 16, F16), a2);
                a3 = f32x8_fma(f32x8_load(q + d + 24), kv_load8(keys, k + d + 24, F16), a3);
            }
            for (; d < whole; d += 8) a0 = f32x8_fma(f32x8_load(q + d), kv_load8(keys, k + d, F16), a0);
            float s = f32x8_hsum(f32x8_add(f32x8_add(a0, a1), f32x8_add(a2, a3)));
            for (; d < hd; d++) s += q[d] * kv_load1(keys, k + d, F16);
            scores[p] = s * scale;
            if (scores[p] > max) max = scores[p];
        }
    }
    /* w_p = exp(s_p - max) / sum: eight lanes at a time, the sum in lane order then the tail */
    const float32x4_t vmax = vdupq_n_f32(max);
    f32x8 vsum = f32x8_zero();
    int p = 0;
    for (; p + 8 <= pos + 1; p += 8) {
        f32x8 s = f32x8_load(scores + p);
        f32x8 w = exp_neg8((f32x8) {vsubq_f32(s.lo, vmax), vsubq_f32(s.hi, vmax)});
        vst1q_f32(scores + p, w.lo);
        vst1q_f32(scores + p + 4, w.hi);
        vsum = f32x8_add(vsum, w);
    }
    float sum = f32x8_hsum(vsum);
    for (; p <= pos; p++) {
        scores[p] = vgetq_lane_f32(exp_neg(vdupq_n_f32(scores[p] - max)), 0);
        sum += scores[p];
    }
    for (p = 0; p <= pos; p++) scores[p] /= sum;
    /* out[d] = sum_p w_p v_p[d], one fused chain per element in position order (attention.c's lanes and tail alike):
     * block by block, 64 dimensions at a time in sixteen registers that wait in out between blocks, as attention.c */
    for (int d = 0; d < hd; d++) out[d] = 0.0f;
    for (int b = 0, p0 = 0; p0 <= pos; b++, p0 += blockSize) {
        const int count = pos + 1 - p0 < blockSize ? pos + 1 - p0 : blockSize;
        const int64_t vb = base + (int64_t) blocks[b] * blockSize * stride;
        if (p0 + blockSize <= pos)
            for (int slot = 0; slot < blockSize; slot++)
                kv_prefetch(values, base + (int64_t) blocks[b + 1] * blockSize * stride + (int64_t) slot * stride, lines, F16);
        for (int d0 = 0; d0 < hd; d0 += 64) {
            int n = hd - d0 < 64 ? hd - d0 : 64, vecs = n / 4;
            float32x4_t acc[16];
            for (int i = 0; i < vecs; i++) acc[i] = vld1q_f32(out + d0 + 4 * i);
            for (int slot = 0; slot < count; slot++) {
                const int64_t v = vb + (int64_t) slot * stride + d0;
                const float w = scores[p0 + slot];
                for (int i = 0; i < vecs; i++) acc[i] = vfmaq_n_f32(acc[i], kv_load4(values, v + 4 * i, F16), w);
                for (int j = 4 * vecs; j < n; j++) out[d0 + j] = fmaf(w, kv_load1(values, v + j, F16), out[d0 + j]);
            }
            for (int i = 0; i < vecs; i++) vst1q_f32(out + d0 + 4 * i, acc[i]);
        }
    }
}

void gptq4j_attend(const struct gptq4j_kv_cache *kv, int64_t base, const int32_t *blocks, int hd, int pos, float scale,
                   const float *q, float *scores, float *out) {
    if (kv->precision == GPTQ4J_KV_F16) attend(1, kv, base, blocks, hd, pos, scale, q, scores, out);
    else attend(0, kv, base, blocks, hd, pos, scale, q, scores, out);
}
