/* F16 weights x float activations on aarch64, with the bits of f16gemm.c's AVX2 kernel (level 1): the same two
 * 8-lane accumulators over 16-wide steps of k (each as two NEON halves), the same horizontal sum, the same tail. */
#include "kernels.h"
#include "kernels_neon.h"

/* 8 F16 values as an f32x8, exactly (F16C's _mm256_cvtph_ps). */
INLINE f32x8 f16x8_load(const uint16_t *p) {
    float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(p));
    return (f32x8) {vcvt_f32_f16(vget_low_f16(h)), vcvt_high_f32_f16(h)};
}

/* out[t] = sum_k w[k] * x[t][k] for NT tokens, in f16gemm.c's f16_tile order. */
INLINE void f16_tile(const int NT, const uint16_t *w, int in, const float *x, int64_t xs, float *out) {
    f32x8 a0[TILE], a1[TILE];
    for (int t = 0; t < NT; t++) { a0[t] = f32x8_zero(); a1[t] = f32x8_zero(); }
    int k = 0;
    for (; k + 16 <= in; k += 16) {
        f32x8 w0 = f16x8_load(w + k), w1 = f16x8_load(w + k + 8);
        for (int t = 0; t < NT; t++) {
            a0[t] = f32x8_fma(w0, f32x8_load(x + t * xs + k), a0[t]);
            a1[t] = f32x8_fma(w1, f32x8_load(x + t * xs + k + 8), a1[t]);
        }
    }
    for (int t = 0; t < NT; t++) {
        float sum = f32x8_hsum(f32x8_add(a0[t], a1[t]));
        for (int j = k; j < in; j++) sum += f16_to_f32(w[j]) * x[t * xs + j];
        out[t] = sum;
    }
}

/* y[r][n] = sum_k W[n][k] x[r][k] + bias[n], outputs n in [n0, n1): rows in chunks that stay in cache while every
 * tile of up to 4 tokens passes. Every level (5, 6, 7) runs this kernel. */
void gptq4j_f16gemm(int level, const uint16_t *weight, int in, const float *x, int rows, float *y, int ystride,
                    const float *bias, int n0, int n1) {
    (void) level;
    float out[TILE];
    for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {
        int c1 = c0 + ROW_CHUNK < n1 ? c0 + ROW_CHUNK : n1;
        for (int r = 0; r < rows; r += TILE) {
            int nt = rows - r < TILE ? rows - r : TILE;
            const float *xr = x + (int64_t) r * in;
            for (int n = c0; n < c1; n++) {
                const uint16_t *w = weight + (int64_t) n * in;
                switch (nt) {
                    case 4: f16_tile(4, w, in, xr, in, out); break;
                    case 3: f16_tile(3, w, in, xr, in, out); break;
                    case 2: f16_tile(2, w, in, xr, in, out); break;
                    default: f16_tile(1, w, in, xr, in, out); break;
                }
                float b = bias ? bias[n] : 0.0f;
                for (int t = 0; t < nt; t++) y[(int64_t) (r + t) * ystride + n] = out[t] + b;
            }
        }
    }
}
