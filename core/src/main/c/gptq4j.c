/*
 * gptq4j native kernels (x86-64 AVX2/FMA/F16C, with an AVX-VNNI variant), called from Java through FFM downcalls.
 *
 * Weight layout (see GptqLinear and docs/performance.md): input features permuted so that each GPTQ group is a
 * contiguous run of 32-wide blocks; per output row n, block b holds the codes of permuted positions 32b..32b+31:
 *   bits <= 4: 16 bytes, byte j = code[32b+j] | code[32b+16+j] << 4   (unsigned 0..15, as llama.cpp's Q4_0)
 *   bits == 8: 32 bytes, int8 code - 128                               (signed -128..127)
 * scales s[n][g], zeros z[n][g] as float (8-bit zeros shifted by -128 like their codes).
 *
 * Activations arrive quantized to int8 with one scale per 8 positions (ActivationQuantizer): x[k] ~= d(k) * xq[k], and
 * xgs[g] = sum over the group of d(k) * xq[k]. Then, for output n and token r:
 *   y[r][n] = sum_g s[n,g] * ( sum_{k in g} d(k) xq[r,k] q[n,k]  -  z[n,g] * xgs[r,g] ) + bias[n]
 * The inner integer dot of a block is one maddubs (u8 x s8 -> s16 pairs) + madd (-> s32), or one vpdpbusd with VNNI:
 * 8 int32 lanes, lane i summing 4 consecutive bytes, so the sub-block scales arrive as 8 lane scales xd[b][0..7]
 * (each 8-position sub-block covers two lanes) and one FMA applies them.
 *
 * Every function processes output rows [n0, n1) so that each Java compute thread streams its own rows.
 * Prefill: rows are taken in chunks small enough to stay in L1/L2 while every token of the batch passes over them,
 * and tokens in tiles of 4 so that each unpacked weight block is used 4 times from registers.
 */
#define _DEFAULT_SOURCE /* madvise, sysconf under -std=c11 */
#include <immintrin.h>
#include <stdint.h>

#define ROW_CHUNK 16
#define TILE 4
#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define VNNI_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define INLINE static inline __attribute__((always_inline))

/* 0: use the Java fallback; 1: AVX2/FMA; 2: also AVX-VNNI; 3: also AVX-512 BW/VL + VNNI (512-bit qgemm). */
int gptq4j_cpu_level(void) {
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))) return 0;
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) return 3;
    return __builtin_cpu_supports("avxvnni") ? 2 : 1;
}

/* ---------------------------------------------------------------- quantized (int8-activation) GEMM */

/* The body is written once and instantiated per ISA: DOT(w, x) is the 8-lane int32 dot of 32 u8 x s8 pairs. */
#define DEFINE_QGEMM(SUFFIX, TARGET, DOT)                                                                            \
TARGET INLINE __m256i unpack_##SUFFIX(int bits, const uint8_t *p) {                                                  \
    if (bits == 8) return _mm256_loadu_si256((const __m256i *) p);                                                   \
    __m128i v = _mm_loadu_si128((const __m128i *) p);           /* lo nibbles: codes 0..15, hi: 16..31 */            \
    __m256i w = _mm256_set_m128i(_mm_srli_epi16(v, 4), v);                                                           \
    return _mm256_and_si256(w, _mm256_set1_epi8(0x0F));                                                              \
}                                                                                                                    \
TARGET INLINE float hsum_##SUFFIX(__m256 v) {                                                                        \
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));                                   \
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));                                                                          \
    s = _mm_add_ss(s, _mm_movehdup_ps(s));                                                                           \
    return _mm_cvtss_f32(s);                                                                                         \
}                                                                                                                    \
/* out[r][t] = y of rows w[r] (r < NR) for tokens t < NT; NR, NT and BITS are constants at every call site, so all of  \
 * this unrolls into registers: each activation block loaded is used for NR rows, each weight block for NT tokens. */  \
TARGET INLINE void row_tile_##SUFFIX(const int BITS, const int NR, const int NT, const uint8_t *const *w,             \
        const float *const *s, const float *const *z, int groups, const int32_t *gblk, const int8_t *xq,             \
        long xqStride, const float *xd, int nb, const float *xgs, float out[2][TILE]) {                              \
    const long bb = BITS == 8 ? 32 : 16; /* bytes per block */                                                       \
    __m256 acc[2][TILE];                                                                                             \
    float zt[2][TILE];                                                                                               \
    for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) { acc[r][t] = _mm256_setzero_ps(); zt[r][t] = 0; }     \
    for (int g = 0; g < groups; g++) {                                                                               \
        __m256 ga[2][TILE];                                                                                          \
        for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) ga[r][t] = _mm256_setzero_ps();                    \
        for (int b = gblk[g]; b < gblk[g + 1]; b++) {                                                                \
            __m256i q[2], aq[2];                                                                                     \
            for (int r = 0; r < NR; r++) {                                                                           \
                if (NT == 1) _mm_prefetch((const char *) (w[r] + b * bb) + 1024, _MM_HINT_T0);                       \
                q[r] = unpack_##SUFFIX(BITS, w[r] + b * bb);                                                         \
                aq[r] = BITS == 8 ? _mm256_sign_epi8(q[r], q[r]) : q[r]; /* |q| as u8 for the sign trick */          \
            }                                                                                                        \
            for (int t = 0; t < NT; t++) {                                                                           \
                __m256i x = _mm256_loadu_si256((const __m256i *) (xq + t * xqStride + b * 32L));                     \
                __m256 d = _mm256_loadu_ps(xd + (t * (long) nb + b) * 8); /* scale of each lane's sub-block */       \
                for (int r = 0; r < NR; r++) {                                                                       \
                    __m256i xs = BITS == 8 ? _mm256_sign_epi8(x, q[r]) : x; /* |q| * (sign(q) x) = q x */            \
                    ga[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(DOT(aq[r], xs)), d, ga[r][t]);                     \
                }                                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
        for (int r = 0; r < NR; r++) {                                                                               \
            __m256 sg = _mm256_set1_ps(s[r][g]);                                                                     \
            for (int t = 0; t < NT; t++) {                                                                           \
                acc[r][t] = _mm256_fmadd_ps(ga[r][t], sg, acc[r][t]);         /* += s[g] * sum_b ... */              \
                zt[r][t] += s[r][g] * z[r][g] * xgs[t * (long) groups + g];   /* zero point via the activation sum */\
            }                                                                                                        \
        }                                                                                                            \
    }                                                                                                                \
    for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) out[r][t] = hsum_##SUFFIX(acc[r][t]) - zt[r][t];       \
}                                                                                                                    \
TARGET INLINE void qgemm_bits_##SUFFIX(const int BITS, const uint8_t *codes, long rowBytes, const float *scales,      \
        const float *zeros, int groups, const int32_t *gblk, int nb, const int8_t *xq, const float *xd,              \
        const float *xgs, int rows, float *y, int ystride, const float *bias, int n0, int n1) {                      \
    const long xqStride = nb * 32L;                                                                                  \
    float out[2][TILE];                                                                                              \
    for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {                                                                    \
        int c1 = c0 + ROW_CHUNK < n1 ? c0 + ROW_CHUNK : n1;                                                          \
        for (int r = 0; r < rows; r += TILE) {                                                                       \
            int nt = rows - r < TILE ? rows - r : TILE;                                                              \
            const int8_t *x = xq + r * xqStride;                                                                     \
            const float *d = xd + (long) r * nb * 8, *gs = xgs + (long) r * groups;                                  \
            for (int n = c0; n < c1; n += 2) {                                                                       \
                int nr = n + 1 < c1 && nt > 1 ? 2 : 1; /* decode streams one row at a time */                        \
                const uint8_t *w[2] = {codes + n * rowBytes, codes + (n + nr - 1) * rowBytes};                       \
                const float *s[2] = {scales + (long) n * groups, scales + (long) (n + nr - 1) * groups};             \
                const float *z[2] = {zeros + (long) n * groups, zeros + (long) (n + nr - 1) * groups};               \
                if (nr == 2) {                                                                                       \
                    switch (nt) {                                                                                    \
                        case 4: row_tile_##SUFFIX(BITS, 2, 4, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break; \
                        case 3: row_tile_##SUFFIX(BITS, 2, 3, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break; \
                        default: row_tile_##SUFFIX(BITS, 2, 2, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break; \
                    }                                                                                                \
                } else {                                                                                             \
                    n -= 1; /* one row: the loop's += 2 moves to the next */                                         \
                    switch (nt) {                                                                                    \
                        case 4: row_tile_##SUFFIX(BITS, 1, 4, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break; \
                        case 3: row_tile_##SUFFIX(BITS, 1, 3, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break; \
                        case 2: row_tile_##SUFFIX(BITS, 1, 2, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break; \
                        default: row_tile_##SUFFIX(BITS, 1, 1, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break; \
                    }                                                                                                \
                }                                                                                                    \
                int m = nr == 2 ? n : n + 1; /* first row of this tile */                                            \
                for (int rr = 0; rr < nr; rr++) {                                                                    \
                    float b = bias ? bias[m + rr] : 0.0f;                                                            \
                    for (int t = 0; t < nt; t++) y[(long) (r + t) * ystride + m + rr] = out[rr][t] + b;              \
                }                                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
    }                                                                                                                \
}                                                                                                                    \
TARGET void qgemm_##SUFFIX(int bits, const uint8_t *codes, long rowBytes, const float *scales, const float *zeros,    \
        int groups, const int32_t *gblk, int nb, const int8_t *xq, const float *xd, const float *xgs, int rows,      \
        float *y, int ystride, const float *bias, int n0, int n1) {                                                  \
    if (bits == 8) qgemm_bits_##SUFFIX(8, codes, rowBytes, scales, zeros, groups, gblk, nb, xq, xd, xgs, rows, y,    \
                                       ystride, bias, n0, n1);                                                       \
    else qgemm_bits_##SUFFIX(4, codes, rowBytes, scales, zeros, groups, gblk, nb, xq, xd, xgs, rows, y, ystride,     \
                             bias, n0, n1);                                                                          \
}

/* AVX2: maddubs multiplies u8 x s8 and adds adjacent pairs into s16 (no overflow: |q| <= 128, |x| <= 127),
 * madd with ones adds adjacent s16 pairs into s32. */
AVX2_TARGET INLINE __m256i dot_avx2(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}
/* AVX-VNNI: one instruction, u8 x s8 quads summed into s32, no intermediate saturation. */
VNNI_TARGET INLINE __m256i dot_vnni(__m256i u, __m256i s) {
    return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, s);
}

DEFINE_QGEMM(avx2, AVX2_TARGET, dot_avx2)
DEFINE_QGEMM(vnni, VNNI_TARGET, dot_vnni)

/*
 * AVX-512 VNNI: two 32-wide blocks per 512-bit op. For 4-bit storage the 32 bytes of blocks b, b+1 are
 * [lo0 hi0 | lo1 hi1] after the nibble split, reordered to 128-bit chunks (b: 0..15, b: 16..31, b+1: 0..15, b+1: 16..31)
 * so that lanes line up with 64 consecutive activation bytes and 16 consecutive lane scales. A group with an odd
 * number of blocks ends with one half-masked step.
 */
#define AVX512_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
AVX512_TARGET INLINE __m512i unpack2_avx512(int bits, const uint8_t *p, __mmask64 m) {
    if (bits == 8) return _mm512_maskz_loadu_epi8(m, p);
    __m256i v = _mm256_maskz_loadu_epi8((__mmask32) m, p);                      /* blocks b, b+1: 16 bytes each */
    __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(v), _mm256_srli_epi16(v, 4), 1); /* [v0 v1 s0 s1] */
    z = _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));                  /* [v0 s0 v1 s1] */
    return _mm512_and_si512(z, _mm512_set1_epi8(0x0F));
}
AVX512_TARGET INLINE void row_tile_avx512(const int BITS, const int NR, const int NT, const uint8_t *const *w,
        const float *const *s, const float *const *z, int groups, const int32_t *gblk, const int8_t *xq,
        long xqStride, const float *xd, int nb, const float *xgs, float out[2][TILE]) {
    const long bb = BITS == 8 ? 32 : 16;
    __m512 acc[2][TILE];
    float zt[2][TILE];
    for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) { acc[r][t] = _mm512_setzero_ps(); zt[r][t] = 0; }
    for (int g = 0; g < groups; g++) {
        __m512 ga[2][TILE];
        for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) ga[r][t] = _mm512_setzero_ps();
        for (int b = gblk[g]; b < gblk[g + 1]; b += 2) {
            int two = b + 1 < gblk[g + 1];
            __mmask64 mw = two ? ~0ULL : (BITS == 8 ? 0xFFFFFFFFULL : 0xFFFFULL); /* weight bytes of 1 or 2 blocks */
            __mmask64 mx = two ? ~0ULL : 0xFFFFFFFFULL;
            __mmask16 md = two ? 0xFFFF : 0x00FF;
            __m512i q[2], aq[2];
            __mmask64 neg[2];
            for (int r = 0; r < NR; r++) {
                if (NT == 1) _mm_prefetch((const char *) (w[r] + b * bb) + 1024, _MM_HINT_T0);
                q[r] = unpack2_avx512(BITS, w[r] + b * bb, mw);
                if (BITS == 8) { aq[r] = _mm512_abs_epi8(q[r]); neg[r] = _mm512_movepi8_mask(q[r]); }
                else aq[r] = q[r];
            }
            for (int t = 0; t < NT; t++) {
                __m512i x = _mm512_maskz_loadu_epi8(mx, xq + t * xqStride + b * 32L);
                __m512 d = _mm512_maskz_loadu_ps(md, xd + (t * (long) nb + b) * 8);
                for (int r = 0; r < NR; r++) {
                    /* 8-bit: |q| * (x negated where q < 0) = q x */
                    __m512i xs = BITS == 8 ? _mm512_mask_sub_epi8(x, neg[r], _mm512_setzero_si512(), x) : x;
                    __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), aq[r], xs);
                    ga[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), d, ga[r][t]);
                }
            }
        }
        for (int r = 0; r < NR; r++) {
            __m512 sg = _mm512_set1_ps(s[r][g]);
            for (int t = 0; t < NT; t++) {
                acc[r][t] = _mm512_fmadd_ps(ga[r][t], sg, acc[r][t]);
                zt[r][t] += s[r][g] * z[r][g] * xgs[t * (long) groups + g];
            }
        }
    }
    for (int r = 0; r < NR; r++) for (int t = 0; t < NT; t++) out[r][t] = _mm512_reduce_add_ps(acc[r][t]) - zt[r][t];
}
AVX512_TARGET INLINE void qgemm_bits_avx512(const int BITS, const uint8_t *codes, long rowBytes, const float *scales,
        const float *zeros, int groups, const int32_t *gblk, int nb, const int8_t *xq, const float *xd,
        const float *xgs, int rows, float *y, int ystride, const float *bias, int n0, int n1) {
    const long xqStride = nb * 32L;
    float out[2][TILE];
    for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {
        int c1 = c0 + ROW_CHUNK < n1 ? c0 + ROW_CHUNK : n1;
        for (int r = 0; r < rows; r += TILE) {
            int nt = rows - r < TILE ? rows - r : TILE;
            const int8_t *x = xq + r * xqStride;
            const float *d = xd + (long) r * nb * 8, *gs = xgs + (long) r * groups;
            for (int n = c0; n < c1;) {
                int nr = n + 1 < c1 && nt > 1 ? 2 : 1;
                const uint8_t *w[2] = {codes + n * rowBytes, codes + (n + nr - 1) * rowBytes};
                const float *s[2] = {scales + (long) n * groups, scales + (long) (n + nr - 1) * groups};
                const float *z[2] = {zeros + (long) n * groups, zeros + (long) (n + nr - 1) * groups};
                if (nr == 2) {
                    switch (nt) {
                        case 4: row_tile_avx512(BITS, 2, 4, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break;
                        case 3: row_tile_avx512(BITS, 2, 3, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break;
                        default: row_tile_avx512(BITS, 2, 2, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break;
                    }
                } else {
                    switch (nt) {
                        case 4: row_tile_avx512(BITS, 1, 4, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break;
                        case 3: row_tile_avx512(BITS, 1, 3, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break;
                        case 2: row_tile_avx512(BITS, 1, 2, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break;
                        default: row_tile_avx512(BITS, 1, 1, w, s, z, groups, gblk, x, xqStride, d, nb, gs, out); break;
                    }
                }
                for (int rr = 0; rr < nr; rr++) {
                    float b = bias ? bias[n + rr] : 0.0f;
                    for (int t = 0; t < nt; t++) y[(long) (r + t) * ystride + n + rr] = out[rr][t] + b;
                }
                n += nr;
            }
        }
    }
}
AVX512_TARGET void qgemm_avx512(int bits, const uint8_t *codes, long rowBytes, const float *scales, const float *zeros,
        int groups, const int32_t *gblk, int nb, const int8_t *xq, const float *xd, const float *xgs, int rows,
        float *y, int ystride, const float *bias, int n0, int n1) {
    if (bits == 8) qgemm_bits_avx512(8, codes, rowBytes, scales, zeros, groups, gblk, nb, xq, xd, xgs, rows, y, ystride, bias, n0, n1);
    else qgemm_bits_avx512(4, codes, rowBytes, scales, zeros, groups, gblk, nb, xq, xd, xgs, rows, y, ystride, bias, n0, n1);
}

/* Entry point: y[r][n] for rows r < rows and outputs n in [n0, n1). level: 1 AVX2, 2 AVX-VNNI, 3 AVX-512 VNNI. */
void gptq4j_qgemm(int level, int bits, const uint8_t *codes, long rowBytes, const float *scales, const float *zeros,
                  int groups, const int32_t *gblk, int nb, const int8_t *xq, const float *xd, const float *xgs,
                  int rows, float *y, int ystride, const float *bias, int n0, int n1) {
    /* decode is bound by memory bandwidth: the 256-bit kernels reach it without the 512-bit frequency cost */
    if (level >= 3 && rows > 1) qgemm_avx512(bits, codes, rowBytes, scales, zeros, groups, gblk, nb, xq, xd, xgs, rows, y, ystride, bias, n0, n1);
    else if (level >= 2) qgemm_vnni(bits, codes, rowBytes, scales, zeros, groups, gblk, nb, xq, xd, xgs, rows, y, ystride, bias, n0, n1);
    else qgemm_avx2(bits, codes, rowBytes, scales, zeros, groups, gblk, nb, xq, xd, xgs, rows, y, ystride, bias, n0, n1);
}

/* ---------------------------------------------------------------- F16 weights x float activations */

AVX2_TARGET INLINE float hsum_f16k(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* out[t] = sum_k w[k] * x[t][k] for NT tokens: two accumulators per token hide the FMA latency. */
AVX2_TARGET INLINE void f16_tile(const int NT, const uint16_t *w, int in, const float *x, long xs, float *out) {
    __m256 a0[TILE], a1[TILE];
    for (int t = 0; t < NT; t++) { a0[t] = _mm256_setzero_ps(); a1[t] = _mm256_setzero_ps(); }
    int k = 0;
    for (; k + 16 <= in; k += 16) {
        if (NT == 1) _mm_prefetch((const char *) (w + k) + 1024, _MM_HINT_T0);
        __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (w + k)));
        __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (w + k + 8)));
        for (int t = 0; t < NT; t++) {
            a0[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + t * xs + k), a0[t]);
            a1[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + t * xs + k + 8), a1[t]);
        }
    }
    for (int t = 0; t < NT; t++) {
        float sum = hsum_f16k(_mm256_add_ps(a0[t], a1[t]));
        for (int j = k; j < in; j++) sum += _cvtsh_ss(w[j]) * x[t * xs + j];
        out[t] = sum;
    }
}

/* y[r][n] = sum_k W[n][k] x[r][k] + bias[n] over an F16 [out][in] matrix, outputs n in [n0, n1). */
AVX2_TARGET void gptq4j_f16gemm(const uint16_t *weight, int in, const float *x, int rows, float *y, int ystride,
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

/* ---------------------------------------------------------------- memory bandwidth probe */

/* Reads bytes [0, n) once (n a multiple of 128) and returns an xor of everything read, so nothing is optimized away. */
AVX2_TARGET long gptq4j_stream_read(const uint8_t *p, long n) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (long i = 0; i + 128 <= n; i += 128) {
        a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i *) (p + i)));
        a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i *) (p + i + 32)));
        a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i *) (p + i + 64)));
        a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i *) (p + i + 96)));
    }
    __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
    return _mm256_extract_epi64(a, 0) ^ _mm256_extract_epi64(a, 1) ^ _mm256_extract_epi64(a, 2) ^ _mm256_extract_epi64(a, 3);
}

/* ---------------------------------------------------------------- load: repacking and page release */

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REPACK_COLS 64

/*
 * Repacks output features [n0, n1) of an AutoGPTQ qweight ([in*bits/32][out] int32, column n's codes a little-endian
 * bit stream along k) into the kernel layout (PackedGptq): code of feature k goes to permuted position position[k];
 * 4-bit storage puts positions 32b+j and 32b+16+j in the low and high nibble of byte 16b+j, 8-bit storage stores
 * code-128. Padding positions hold code 0. Returns 0, or -1 when out of memory.
 */
int gptq4j_repack(const uint32_t *qw, int in, int out, int bits, const int32_t *position, int nb, uint8_t *codes,
                  long rowBytes, int n0, int n1) {
    const long padded = nb * 32L;
    const uint32_t mask = (1u << bits) - 1;
    uint8_t *c = malloc(REPACK_COLS * padded);
    if (!c) return -1;
    for (int c0 = n0; c0 < n1; c0 += REPACK_COLS) {
        int width = n1 - c0 < REPACK_COLS ? n1 - c0 : REPACK_COLS;
        memset(c, 0, width * padded);
        if (32 % bits == 0) { /* 2, 4, 8 bits: whole codes per word */
            int per = 32 / bits, words = in / per;
            for (int wr = 0; wr < words; wr++) {
                const uint32_t *row = qw + (long) wr * out + c0;
                const int32_t *pos = position + wr * per;
                for (int i = 0; i < width; i++) {
                    uint32_t v = row[i];
                    uint8_t *ci = c + i * padded;
                    for (int j = 0; j < per; j++) ci[pos[j]] = (uint8_t) ((v >> (j * bits)) & mask);
                }
            }
        } else { /* 3 bits: codes straddle words */
            for (int k = 0; k < in; k++) {
                long bit = (long) k * bits;
                long word = bit >> 5;
                int shift = (int) (bit & 31);
                const uint32_t *row = qw + word * out + c0;
                for (int i = 0; i < width; i++) {
                    uint64_t v = row[i];
                    if (shift + bits > 32) v |= (uint64_t) row[i + out] << 32;
                    c[i * padded + position[k]] = (uint8_t) ((v >> shift) & mask);
                }
            }
        }
        for (int i = 0; i < width; i++) {
            const uint8_t *ci = c + i * padded;
            uint8_t *dst = codes + (long) (c0 + i) * rowBytes;
            if (bits == 8) {
                for (long k = 0; k < padded; k++) dst[k] = (uint8_t) (ci[k] - 128);
            } else {
                for (int b = 0; b < nb; b++)
                    for (int j = 0; j < 16; j++) dst[16 * b + j] = (uint8_t) (ci[32 * b + j] | ci[32 * b + 16 + j] << 4);
            }
        }
    }
    free(c);
    return 0;
}

/*
 * Releases this process's pages of a read-only file mapping once its bytes have been repacked (MADV_DONTNEED: the page
 * cache keeps them, resident memory stops counting them; a later read faults them back in unchanged). Only whole
 * pages inside [addr, addr+len) are released.
 */
int gptq4j_release_pages(void *addr, long len) {
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t) addr + page - 1) & ~(uintptr_t) (page - 1);
    uintptr_t end = ((uintptr_t) addr + len) & ~(uintptr_t) (page - 1);
    if (end <= start) return 0;
    return madvise((void *) start, end - start, MADV_DONTNEED);
}
