/* F16 weights x float activations (dense layers: lm_head, unquantized checkpoints). */
#include "kernels.h"

/* Prefetch into L2, far ahead (Zen 4, two threads, 55296 x 4096 lm_head, one token): one row at a time 8 KiB ahead
 * in the row, 10-12 ms against 18-19 for 1 KiB into L1; four rows at a time (AVX-512) the next pass, 12-15 ms
 * against 18-22. */
#define F16_PREFETCH_BYTES 8192

/* out[t] = sum_k w[k] * x[t][k] for NT tokens: two accumulators per token hide the FMA latency. */
AVX2_TARGET INLINE void f16_tile(const int NT, const uint16_t *w, int in, const float *x, long xs, float *out) {
    __m256 a0[TILE], a1[TILE];
    for (int t = 0; t < NT; t++) { a0[t] = _mm256_setzero_ps(); a1[t] = _mm256_setzero_ps(); }
    int k = 0;
    for (; k + 16 <= in; k += 16) {
        if (NT == 1) _mm_prefetch((const char *) (w + k) + F16_PREFETCH_BYTES, _MM_HINT_T1);
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (w + k)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (w + k + 8)));
        for (int t = 0; t < NT; t++) {
            a0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + t * xs + k), a0[t]);
            a1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + t * xs + k + 8), a1[t]);
        }
    }
    for (int t = 0; t < NT; t++) {
        float sum = hsum_ps(_mm256_add_ps(a0[t], a1[t]));
        for (int j = k; j < in; j++) sum += _cvtsh_ss(w[j]) * x[t * xs + j];
        out[t] = sum;
    }
}

/* AVX2: rows in chunks that stay in cache while every tile of up to 4 tokens passes. */
AVX2_TARGET static void f16gemm_avx2(const uint16_t *weight, int in, const float *x, int rows, float *y, int ystride,
                                     const float *bias, int n0, int n1) {
    float out[TILE];
    for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {
        int c1 = c0 + ROW_CHUNK < n1 ? c0 + ROW_CHUNK : n1;
        for (int r = 0; r < rows; r += TILE) {
            int nt = rows - r < TILE ? rows - r : TILE;
            const float *xr = x + (long) r * in;
            for (int n = c0; n < c1; n++) {
                const uint16_t *w = weight + (long) n * in;
                switch (nt) {
                    case 4: f16_tile(4, w, in, xr, in, out); break;
                    case 3: f16_tile(3, w, in, xr, in, out); break;
                    case 2: f16_tile(2, w, in, xr, in, out); break;
                    default: f16_tile(1, w, in, xr, in, out); break;
                }
                float b = bias ? bias[n] : 0.0f;
                for (int t = 0; t < nt; t++) y[(long) (r + t) * ystride + n] = out[t] + b;
            }
        }
    }
}

/*
 * AVX-512: F16_ROWS rows x up to TILE tokens per pass, one 16-lane accumulator per (row, token) over k, so each
 * weight converted once feeds TILE tokens and each activation load F16_ROWS rows. Every (row, token) sums in the same
 * order whatever the batch, so a token's logits are the same alone or in a batch. The rows of a pass stay in L1 while
 * the token tiles pass.
 */
#define F16_ROWS 4
AVX512_TARGET INLINE void f16_block_avx512(const int NT, const uint16_t *const *w, int in, const float *x, long xs,
                                           float out[TILE][F16_ROWS]) {
    __m512 acc[F16_ROWS][TILE];
    for (int r = 0; r < F16_ROWS; r++) for (int t = 0; t < NT; t++) acc[r][t] = _mm512_setzero_ps();
    for (int k = 0; k < in; k += 16) {
        __mmask16 m = in - k >= 16 ? 0xFFFF : (__mmask16) ((1u << (in - k)) - 1);
        __m512 wv[F16_ROWS];
        for (int r = 0; r < F16_ROWS; r++) {
            if ((k & 31) == 0) _mm_prefetch((const char *) (w[r] + k + F16_ROWS * (long) in), _MM_HINT_T1); /* the next pass */
            wv[r] = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w[r] + k));
        }
        for (int t = 0; t < NT; t++) {
            __m512 xv = _mm512_maskz_loadu_ps(m, x + t * xs + k);
            for (int r = 0; r < F16_ROWS; r++) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
        }
    }
    for (int r = 0; r < F16_ROWS; r++) for (int t = 0; t < NT; t++) out[t][r] = _mm512_reduce_add_ps(acc[r][t]);
}

AVX512_TARGET static void f16gemm_avx512(const uint16_t *weight, int in, const float *x, int rows, float *y, int ystride,
                                         const float *bias, int n0, int n1) {
    float out[TILE][F16_ROWS];
    for (int n = n0; n < n1; n += F16_ROWS) {
        int nr = n1 - n < F16_ROWS ? n1 - n : F16_ROWS;
        const uint16_t *w[F16_ROWS];
        for (int r = 0; r < F16_ROWS; r++) w[r] = weight + (long) (n + (r < nr ? r : 0)) * in; /* past the end: repeat row n */
        for (int t0 = 0; t0 < rows; t0 += TILE) {
            int nt = rows - t0 < TILE ? rows - t0 : TILE;
            const float *xt = x + (long) t0 * in;
            switch (nt) {
                case 4: f16_block_avx512(4, w, in, xt, in, out); break;
                case 3: f16_block_avx512(3, w, in, xt, in, out); break;
                case 2: f16_block_avx512(2, w, in, xt, in, out); break;
                default: f16_block_avx512(1, w, in, xt, in, out); break;
            }
            for (int t = 0; t < nt; t++)
                for (int r = 0; r < nr; r++) y[(long) (t0 + t) * ystride + n + r] = out[t][r] + (bias ? bias[n + r] : 0.0f);
        }
    }
}

/* y[r][n] = sum_k W[n][k] x[r][k] + bias[n] over an F16 [out][in] matrix, outputs n in [n0, n1); level as gptq4j_qgemm. */
void gptq4j_f16gemm(int level, const uint16_t *weight, int in, const float *x, int rows, float *y, int ystride,
                    const float *bias, int n0, int n1) {
    if (level >= 3) f16gemm_avx512(weight, in, x, rows, y, ystride, bias, n0, n1);
    else f16gemm_avx2(weight, in, x, rows, y, ystride, bias, n0, n1);
}
