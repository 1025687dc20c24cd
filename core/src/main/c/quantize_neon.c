/* Activation quantization on aarch64: quantize.c's steps (ActivationQuantizer.quantizeChunks) four lanes at a time,
 * with the same bits. */
#include "kernels.h"
#include "kernels_neon.h"

/* Java's Math.round(float) on whole-number-range floats: the nearest integer, ties toward +infinity (round to nearest
 * even, then lift the ties that went down), as quantize.c's round_half_up. */
INLINE float32x4_t round_half_up(float32x4_t u) {
    float32x4_t r = vrndnq_f32(u);
    uint32x4_t tie = vceqq_f32(vsubq_f32(u, r), vdupq_n_f32(0.5f));
    return vaddq_f32(r, vreinterpretq_f32_u32(vandq_u32(tie, vreinterpretq_u32_f32(vdupq_n_f32(1.0f)))));
}

/* 16 int32 lanes (each in [-127, 127]) as 16 bytes in lane order. */
INLINE void store_bytes(int8_t *dst, int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    int16x8_t ab = vcombine_s16(vmovn_s32(a), vmovn_s32(b)), cd = vcombine_s16(vmovn_s32(c), vmovn_s32(d));
    vst1q_s8(dst, vcombine_s8(vmovn_s16(ab), vmovn_s16(cd)));
}

/* gptq4j.h / quantize.c: per chunk amax = max |x'|, u = x' (127 / amax), hi = round(u), lo = round((u - hi) 254)
 * clamped to [-127, 127], e = amax / (127 254), S = sum (254 hi + lo). */
void gptq4j_quantize(const struct gptq4j_weights *w, const float *x, int in, const int32_t *gather,
                     const struct gptq4j_activations *out, int i0, int i1) {
    const int32_t *cblk = w->chunk_block;
    const int chunks = w->chunks;
    const int64_t padded = w->nb * (int64_t) 32;
    float u[32 * 4 /* CHUNK_BLOCKS */] __attribute__((aligned(16)));
    for (int i = i0; i < i1; i++) {
        int r = i / chunks, c = i % chunks, k0 = cblk[c] * 32, len = (cblk[c + 1] - cblk[c]) * 32;
        const float *xr = x + (int64_t) r * in;
        float32x4_t amax = vdupq_n_f32(0.0f);
        for (int j = 0; j < len; j += 4) { /* x' of the chunk's slots, and their largest magnitude */
            for (int l = 0; l < 4; l++) {
                int k = k0 + j + l;
                u[j + l] = gather ? (gather[k] >= 0 ? xr[gather[k]] : 0.0f) : (k < in ? xr[k] : 0.0f);
            }
            amax = vmaxq_f32(amax, vabsq_f32(vld1q_f32(u + j)));
        }
        float a = vmaxvq_f32(amax);
        float32x4_t inv = vdupq_n_f32(a == 0.0f ? 0.0f : 127.0f / a);
        int32x4_t sum = vdupq_n_s32(0);
        int8_t *h8 = out->hi + r * padded + k0, *l8 = out->lo + r * padded + k0;
        for (int j = 0; j < len; j += 16) {
            int32x4_t h[4], l[4];
            for (int q = 0; q < 4; q++) {
                float32x4_t v = vmulq_f32(vld1q_f32(u + j + 4 * q), inv);
                float32x4_t hf = round_half_up(v);
                float32x4_t lf = round_half_up(vmulq_f32(vsubq_f32(v, hf), vdupq_n_f32(254.0f)));
                lf = vminq_f32(vmaxq_f32(lf, vdupq_n_f32(-127.0f)), vdupq_n_f32(127.0f));
                h[q] = vcvtq_s32_f32(hf);
                l[q] = vcvtq_s32_f32(lf);
                sum = vaddq_s32(sum, vmlaq_n_s32(l[q], h[q], 254));
            }
            store_bytes(h8 + j, h[0], h[1], h[2], h[3]);
            store_bytes(l8 + j, l[0], l[1], l[2], l[3]);
        }
        out->e[i] = a / 32258.0f; /* 127 * 254 */
        out->sums[i] = vaddvq_s32(sum); /* integers: any order of the lanes is exact */
    }
}
