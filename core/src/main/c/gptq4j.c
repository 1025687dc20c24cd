/*
 * gptq4j native kernels (x86-64: AVX2/FMA, AVX-VNNI, AVX-512 VNNI, AMX-INT8), called from Java through FFM downcalls.
 *
 * Weight layout (see PackedGptq): input features permuted so that each GPTQ group is a contiguous run of 32-wide
 * blocks; per output row n, block b holds the codes of permuted positions 32b..32b+31:
 *   bits <= 4: 16 bytes, byte j = code[32b+j] | code[32b+16+j] << 4   (unsigned 0..15, as llama.cpp's Q4_0)
 *   bits == 8: 32 bytes, int8 code - 128                               (signed -128..127)
 * scales s[n][g] as F16, zeros z[n][g] as int16 (8-bit zeros shifted by -128 like their codes).
 * Each group is cut into chunks of at most 4 blocks: chunk c is blocks [cblk[c], cblk[c+1]) of group cgrp[c].
 *
 * Activations (ActivationQuantizer) carry ~15 bits in two int8 planes per chunk and token. For 4-bit storage a chunk
 * of nbk blocks lists its positions in "slot" order, matching the bytes as they unpack: slot j < 16 nbk is the low
 * nibble of the chunk's byte j, slot 16 nbk + j its high nibble; 8-bit storage keeps position order.
 *   x[k] ~= e * (254 * hi[k] + lo[k]),   hi, lo in [-127, 127],   S = sum over the chunk of (254 hi + lo).
 * The product is defined in exact integers per chunk, then the same float steps per chunk, in chunk order:
 *   V   = 254 * sum_k q[n,k] hi[k]  +  sum_k q[n,k] lo[k]      (int32, exact: |V| < 2^30; both dots < 2^24)
 *   v   = fmaf(-z[n,g], (float) S, (float) V)                  (S < 2^23 and z are exact floats)
 *   acc = fmaf(v, s[n,g] * e, acc)                             (acc starts at 0)
 *   y[r][n] = acc (+ bias[n])
 * ((float) V rounds 254 H + L once, as fmaf(254, H, L) on exact floats H, L would: kernels may compute it either way.)
 * so every kernel here (and the Java one) gives the same bits for a token whatever the batch around it: a token
 * decoded alone, in a batch, or recomputed in a prefill after preemption has the same logits.
 *
 * Every function processes output rows [n0, n1) so that each Java compute thread streams its own rows.
 */
#define _DEFAULT_SOURCE /* madvise, sysconf, syscall under -std=c11 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ROW_CHUNK 16
#define TILE 4
#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define VNNI_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define INLINE static inline __attribute__((always_inline))

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__linux__)
#define GPTQ4J_AMX 1
#include <sys/syscall.h>
#include <unistd.h>
#endif

/*
 * The instruction-set levels this CPU runs, as a bit mask (bit L set: level L runs): 1 AVX2/FMA/F16C (required by every
 * other level), 2 AVX-VNNI, 3 AVX-512 VNNI, 4 AMX-INT8 (batched products, beside AVX-512). The levels are not a chain:
 * AMD Zen 4 has AVX-512 VNNI but no AVX-VNNI, so level 3 runs there and level 2 does not.
 */
int gptq4j_cpu_levels(void) {
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))) return 0;
    int levels = 1 << 1;
    if (__builtin_cpu_supports("avxvnni")) levels |= 1 << 2;
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) {
        levels |= 1 << 3;
#ifdef GPTQ4J_AMX
        /* AMX: the CPU has it (CPUID.7.0:EDX bits 24, 25) and Linux lets this process use the tile data (arch_prctl) */
        unsigned a, b, c, d;
        __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
        if ((d >> 24 & 1) && (d >> 25 & 1) && syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18) == 0) levels |= 1 << 4;
#endif
    }
    return levels;
}

/* ---------------------------------------------------------------- quantized products, token by token (SIMD dots) */

/* The body is written once and instantiated per ISA: DOT(acc, u, s) adds to 8 int32 lanes the dots of 4 consecutive
 * u8 x s8 pairs. */
#define DEFINE_TOKEN_KERNEL(SUFFIX, TARGET, DOT)                                                                     \
TARGET INLINE __m256i low_##SUFFIX(int whole, const void *p) { /* 32 bytes, or 16 zero-extended */                  \
    return whole ? _mm256_loadu_si256((const __m256i *) p) : _mm256_zextsi128_si256(_mm_loadu_si128((const __m128i *) p)); \
}                                                                                                                    \
TARGET INLINE int32_t hsum_##SUFFIX(__m256i v) {                                                                     \
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));                            \
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));                                                                \
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));                                                                \
    return _mm_cvtsi128_si32(s);                                                                                     \
}                                                                                                                    \
/* out[t] = y of row w for tokens t < NT (a constant at every call site: each weight block is used NT times). */     \
TARGET INLINE void row_##SUFFIX(const int BITS, const int NT, const uint8_t *w, const uint16_t *s, const int16_t *z,      \
        const int32_t *cblk, const int32_t *cgrp, int chunks, const int8_t *hi, const int8_t *lo, long xstride,      \
        const float *xe, const int32_t *xs, float *out) {                                                            \
    const long bb = BITS == 8 ? 32 : 16; /* bytes per block */                                                       \
    float acc[TILE];                                                                                                 \
    for (int t = 0; t < NT; t++) acc[t] = 0.0f;                                                                      \
    for (int c = 0; c < chunks; c++) {                                                                               \
        __m256i ah[TILE], al[TILE];                                                                                  \
        for (int t = 0; t < NT; t++) ah[t] = al[t] = _mm256_setzero_si256();                                         \
        int b0 = cblk[c], nbk = cblk[c + 1] - b0;                                                                    \
        const uint8_t *wc = w + b0 * bb;                                                                             \
        const long x0 = b0 * 32L;                                                                                    \
        if (NT == 1) _mm_prefetch((const char *) wc + 1024, _MM_HINT_T0);                                            \
        if (BITS == 8) {                                                                                             \
            for (int i = 0; i < nbk; i++) {                                                                          \
                __m256i q = _mm256_loadu_si256((const __m256i *) (wc + 32 * i));                                     \
                __m256i aq = _mm256_sign_epi8(q, q); /* |q| as u8; |q| (sign(q) x) = q x */                          \
                for (int t = 0; t < NT; t++) {                                                                       \
                    __m256i xh = _mm256_loadu_si256((const __m256i *) (hi + t * xstride + x0 + 32 * i));             \
                    __m256i xl = _mm256_loadu_si256((const __m256i *) (lo + t * xstride + x0 + 32 * i));             \
                    ah[t] = DOT(ah[t], aq, _mm256_sign_epi8(xh, q));                                                 \
                    al[t] = DOT(al[t], aq, _mm256_sign_epi8(xl, q));                                                 \
                }                                                                                                    \
            }                                                                                                        \
        } else { /* two blocks per step: low nibbles meet slots 16i.., high nibbles slots 16 nbk + 16i.. */         \
            for (int i = 0; i < nbk; i += 2) {                                                                       \
                int two = i + 1 < nbk;                                                                               \
                __m256i v = low_##SUFFIX(two, wc + 16 * i), m = _mm256_set1_epi8(0x0F);                              \
                __m256i ql = _mm256_and_si256(v, m), qh = _mm256_and_si256(_mm256_srli_epi16(v, 4), m);              \
                for (int t = 0; t < NT; t++) {                                                                       \
                    const int8_t *h = hi + t * xstride + x0, *l = lo + t * xstride + x0;                             \
                    ah[t] = DOT(ah[t], ql, low_##SUFFIX(two, h + 16 * i));                                           \
                    ah[t] = DOT(ah[t], qh, low_##SUFFIX(two, h + 16 * nbk + 16 * i));                                \
                    al[t] = DOT(al[t], ql, low_##SUFFIX(two, l + 16 * i));                                           \
                    al[t] = DOT(al[t], qh, low_##SUFFIX(two, l + 16 * nbk + 16 * i));                                \
                }                                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
        int g = cgrp[c];                                                                                             \
        for (int t = 0; t < NT; t++) {                                                                               \
            int32_t v1 = 254 * hsum_##SUFFIX(ah[t]) + hsum_##SUFFIX(al[t]);                                          \
            float v = fmaf(-(float) z[g], (float) xs[t * (long) chunks + c], (float) v1);                            \
            acc[t] = fmaf(v, _cvtsh_ss(s[g]) * xe[t * (long) chunks + c], acc[t]);                                   \
        }                                                                                                            \
    }                                                                                                                \
    for (int t = 0; t < NT; t++) out[t] = acc[t];                                                                    \
}                                                                                                                    \
TARGET INLINE void tokens_bits_##SUFFIX(const int BITS, const uint8_t *codes, long rowBytes, const uint16_t *scales,    \
        const int16_t *zeros, int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb,                \
        const int8_t *hi, const int8_t *lo, const float *xe, const int32_t *xs, int rows, float *y, int ystride,     \
        const float *bias, int n0, int n1) {                                                                         \
    const long xstride = nb * 32L;                                                                                   \
    float out[TILE];                                                                                                 \
    for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) { /* a chunk of rows stays in cache while every token passes */      \
        int c1 = c0 + ROW_CHUNK < n1 ? c0 + ROW_CHUNK : n1;                                                          \
        for (int r = 0; r < rows; r += TILE) {                                                                       \
            int nt = rows - r < TILE ? rows - r : TILE;                                                              \
            const int8_t *h = hi + r * xstride, *l = lo + r * xstride;                                               \
            const float *e = xe + (long) r * chunks;                                                                 \
            const int32_t *sx = xs + (long) r * chunks;                                                              \
            for (int n = c0; n < c1; n++) {                                                                          \
                const uint8_t *w = codes + n * rowBytes;                                                             \
                const uint16_t *s = scales + (long) n * groups;                                                      \
                const int16_t *z = zeros + (long) n * groups;                                                        \
                switch (nt) {                                                                                        \
                    case 4: row_##SUFFIX(BITS, 4, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;    \
                    case 3: row_##SUFFIX(BITS, 3, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;    \
                    case 2: row_##SUFFIX(BITS, 2, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;    \
                    default: row_##SUFFIX(BITS, 1, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out); break;   \
                }                                                                                                    \
                for (int t = 0; t < nt; t++) y[(long) (r + t) * ystride + n] = bias ? out[t] + bias[n] : out[t];     \
            }                                                                                                        \
        }                                                                                                            \
    }                                                                                                                \
}                                                                                                                    \
TARGET void tokens_##SUFFIX(int bits, const uint8_t *codes, long rowBytes, const uint16_t *scales, const int16_t *zeros,   \
        int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb, const int8_t *hi, const int8_t *lo,\
        const float *xe, const int32_t *xs, int rows, float *y, int ystride, const float *bias, int n0, int n1) {    \
    if (bits == 8) tokens_bits_##SUFFIX(8, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo,   \
                                        xe, xs, rows, y, ystride, bias, n0, n1);                                     \
    else tokens_bits_##SUFFIX(4, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs,     \
                              rows, y, ystride, bias, n0, n1);                                                       \
}

/* AVX2: maddubs multiplies u8 x s8 and adds adjacent pairs into s16 (no saturation: |q| <= 128, |x| <= 127),
 * madd with ones adds adjacent s16 pairs into s32. */
AVX2_TARGET INLINE __m256i dot_avx2(__m256i acc, __m256i u, __m256i s) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}
/* AVX-VNNI: one instruction, u8 x s8 quads summed into s32. */
VNNI_TARGET INLINE __m256i dot_vnni(__m256i acc, __m256i u, __m256i s) {
    return _mm256_dpbusd_avx_epi32(acc, u, s);
}

DEFINE_TOKEN_KERNEL(avx2, AVX2_TARGET, dot_avx2)
DEFINE_TOKEN_KERNEL(vnni, VNNI_TARGET, dot_vnni)

/* ---------------------------------------------------------------- AVX-512 VNNI: two rows, up to 4 tokens at a time */

/*
 * Decode reads every weight once for one token, so it is bound by memory bandwidth if the instructions per weight
 * byte stay few: a whole chunk per 512-bit step, two rows at a time sharing each activation load, and one reduction
 * per chunk for both rows' integer sums. Two rows and a 4 KiB prefetch distance measured best here (two threads,
 * 11008x4096 4-bit: 17-18.5 GB/s of weights against 10-13 for one or four rows).
 */
#define DECODE_ROWS 2
#define DECODE_PREFETCH 4096
/* Where AMX is present it takes every batch of 2 tokens or more (two threads, 11008x4096 4-bit: 2 tokens 2.8 ms, as
 * this kernel; 4 tokens 2.8 against 4.1 ms; 8 tokens 2.9 against 12.9 ms). Without AMX this kernel serves batches. */
#define AMX_MIN_ROWS 2
#define AVX512_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

/* The lane sums of v0 and v1 in lanes 0 and 1. */
AVX512_TARGET INLINE __m128i reduce2_avx512(__m512i v0, __m512i v1) {
    __m512i a = _mm512_add_epi32(_mm512_unpacklo_epi32(v0, v1), _mm512_unpackhi_epi32(v0, v1)); /* v0 v1 v0 v1 */
    a = _mm512_add_epi32(a, _mm512_shuffle_epi32(a, (_MM_PERM_ENUM) 0x4E));                       /* v0 v1 . . */
    __m256i d = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(d), _mm256_extracti128_si256(d, 1));
}

/* out[t][r] = y of rows w[r], r < NR (<= DECODE_ROWS), for tokens t < NT (<= TILE; activations xstride apart). */
AVX512_TARGET INLINE void rows_avx512(const int BITS, const int NR, const int NT, const uint8_t *const *w,
        const uint16_t *const *s, const int16_t *const *z, const int32_t *cblk, const int32_t *cgrp, int chunks,
        const int8_t *hi, const int8_t *lo, long xstride, const float *xe, const int32_t *xs, float out[TILE][DECODE_ROWS]) {
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
                    _mm_prefetch((const char *) p + DECODE_PREFETCH, _MM_HINT_T0);
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
                _mm_prefetch((const char *) p + DECODE_PREFETCH, _MM_HINT_T0);
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
AVX512_TARGET INLINE void simd_bits_avx512(const int BITS, const uint8_t *codes, long rowBytes, const uint16_t *scales,
        const int16_t *zeros, int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb,
        const int8_t *hi, const int8_t *lo, const float *xe, const int32_t *xs, int rows, float *y, int ystride,
        const float *bias, int n0, int n1) {
    const long xstride = nb * 32L;
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
#define ROWS_AVX512(NR_, NT_) rows_avx512(BITS, NR_, NT_, w, s, z, cblk, cgrp, chunks, h, l, xstride, e, sx, out)
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

AVX512_TARGET static void simd_avx512(int bits, const uint8_t *codes, long rowBytes, const uint16_t *scales,
        const int16_t *zeros, int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb,
        const int8_t *hi, const int8_t *lo, const float *xe, const int32_t *xs, int rows, float *y, int ystride,
        const float *bias, int n0, int n1) {
    if (bits == 8) simd_bits_avx512(8, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else simd_bits_avx512(4, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
}

#ifdef GPTQ4J_AMX
/* ---------------------------------------------------------------- quantized products, 16 x 16 tiles (AMX-INT8) */

/*
 * C[m][t] = sum_k A[m][k] B[k][t] over 64-deep steps, A = 16 rows of unpacked weight codes (row-major, one chunk),
 * B = the hi or lo plane of 16 tokens in the tile unit's "VNNI" order (row kk holds, per token, positions 4kk..4kk+3).
 * Tokens go in blocks of up to 64 (4 tiles); their B planes are laid out once per block and reused by every row.
 */
#define AMX_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")))
#define TOKEN_BLOCK 64

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((packed)) tile_config;

/* Per-thread scratch, grown on demand and kept for the thread's life (compute threads are persistent). */
static __thread uint8_t *amx_b;
static __thread size_t amx_b_size;

AMX_TARGET static void amx_configure(tile_config *cfg, int m, int tt) {
    if (cfg->rows[0] == m && cfg->colsb[1] == tt * 4) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->palette = 1;
    cfg->rows[0] = m;  cfg->colsb[0] = 64;          /* A: m rows of 64 weight bytes */
    cfg->rows[1] = 16; cfg->colsb[1] = tt * 4;      /* B hi: 16 rows of tt tokens x 4 bytes */
    cfg->rows[2] = 16; cfg->colsb[2] = tt * 4;      /* B lo */
    cfg->rows[3] = m;  cfg->colsb[3] = tt * 4;      /* C hi: m x tt int32 */
    cfg->rows[4] = m;  cfg->colsb[4] = tt * 4;      /* C lo */
    _tile_loadconfig(cfg);
}

AMX_TARGET INLINE void amx_bits(const int BITS, const uint8_t *codes, long rowBytes, const uint16_t *scales,
        const int16_t *zeros, int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb,
        const int8_t *hi, const int8_t *lo, const float *xe, const int32_t *xs, int rows, float *y, int ystride,
        const float *bias, int n0, int n1) {
    const long bb = BITS == 8 ? 32 : 16, xstride = nb * 32L;
    int steps = 0; /* 64-deep steps over all chunks (a chunk with an odd block count ends in a zero-padded half step) */
    for (int c = 0; c < chunks; c++) steps += (cblk[c + 1] - cblk[c] + 1) / 2;
    size_t tileBytes = (size_t) steps * 2048;                     /* hi then lo planes of one 16-token tile */
    size_t need = tileBytes * (TOKEN_BLOCK / 16) + (size_t) (TOKEN_BLOCK / 16) * chunks * 16 * 8 + 64;
    if (amx_b_size < need) {
        free(amx_b);
        amx_b = aligned_alloc(64, (need + 63) / 64 * 64);
        amx_b_size = amx_b ? need : 0;
        if (!amx_b) { simd_avx512(BITS, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1); return; }
    }
    uint8_t a[2][16 * 128] __attribute__((aligned(64)));          /* a chunk of 16 unpacked weight rows, two chunks */
    int32_t ch[2][TOKEN_BLOCK / 16][256] __attribute__((aligned(64))), cl[2][TOKEN_BLOCK / 16][256] __attribute__((aligned(64)));
    float acc[TOKEN_BLOCK / 16][16][16] __attribute__((aligned(64)));
    float *sxt = (float *) (amx_b + tileBytes * (TOKEN_BLOCK / 16));   /* [tile][chunk][16]: S of each token */
    float *ext = (float *) (sxt + (TOKEN_BLOCK / 16) * chunks * 16);     /* [tile][chunk][16]: e of each token */
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (int r0 = 0; r0 < rows; r0 += TOKEN_BLOCK) {
        int tiles = (rows - r0 < TOKEN_BLOCK ? rows - r0 + 15 : TOKEN_BLOCK) / 16;
        /* lay out the B planes of this token block (tile tt, step s, row kk, token t -> 4 bytes), and S, e by chunk */
        for (int tt = 0; tt < tiles; tt++) {
            int t0 = r0 + tt * 16, nt = rows - t0 < 16 ? rows - t0 : 16;
            uint8_t *bh = amx_b + tt * tileBytes, *bl = bh + (size_t) steps * 1024;
            memset(bh, 0, tileBytes);
            int step = 0;
            for (int c = 0; c < chunks; c++) {
                int k0 = cblk[c] * 32, k1 = cblk[c + 1] * 32;
                for (int k = k0; k < k1; k += 4) {
                    long o = (long) (step + (k - k0) / 64) * 1024 + ((k - k0) % 64) / 4 * 64;
                    for (int t = 0; t < nt; t++) {
                        memcpy(bh + o + t * 4, hi + (t0 + t) * xstride + k, 4);
                        memcpy(bl + o + t * 4, lo + (t0 + t) * xstride + k, 4);
                    }
                }
                step += (cblk[c + 1] - cblk[c] + 1) / 2;
                for (int t = 0; t < 16; t++) {
                    sxt[((long) tt * chunks + c) * 16 + t] = t < nt ? (float) xs[(long) (t0 + t) * chunks + c] : 0.0f;
                    ext[((long) tt * chunks + c) * 16 + t] = t < nt ? xe[(long) (t0 + t) * chunks + c] : 0.0f;
                }
            }
        }
        for (int n = n0; n < n1; n += 16) {
            int m = n1 - n < 16 ? n1 - n : 16;
            memset(acc, 0, sizeof acc);
            /* software pipeline: the tile unit computes chunk c while the vector units finish chunk c - 1 */
            for (int c = 0, step = 0; c <= chunks; c++) {
                if (c < chunks) {
                    int b0 = cblk[c], nbk = cblk[c + 1] - b0, cs = (nbk + 1) / 2;
                    uint8_t *ac = a[c & 1];
                    /* A: the chunk's codes of rows n..n+m-1 as bytes in slot order (zero-padded to whole steps) */
                    for (int i = 0; i < m; i++) {
                        const uint8_t *src = codes + (n + i) * rowBytes + b0 * bb;
                        _mm_prefetch((const char *) src + 16 * rowBytes, _MM_HINT_T0);
                        if (BITS == 8) _mm_prefetch((const char *) src + 16 * rowBytes + 64, _MM_HINT_T0);
                        uint8_t *dst = ac + i * 128;
                        _mm512_store_si512(dst + 64, _mm512_setzero_si512()); /* padding of a half step stays zero */
                        if (BITS == 8) {
                            for (int half = 0; half * 2 < nbk; half++) {
                                __mmask64 mk = nbk - 2 * half >= 2 ? ~0ULL : 0xFFFFFFFFULL;
                                _mm512_storeu_si512(dst + 64 * half, _mm512_maskz_loadu_epi8(mk, src + 64 * half));
                            }
                        } else { /* slots 0..16 nbk: low nibbles; 16 nbk..32 nbk: high nibbles */
                            __mmask64 mk = nbk >= 4 ? ~0ULL : (1ULL << (16 * nbk)) - 1;
                            __m512i v = _mm512_maskz_loadu_epi8(mk, src), nib = _mm512_set1_epi8(0x0F);
                            _mm512_store_si512(dst, _mm512_and_si512(v, nib));
                            _mm512_storeu_si512(dst + 16 * nbk, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib));
                        }
                    }
                    for (int tt = 0; tt < tiles; tt++) {
                        int t0 = r0 + tt * 16, nt = rows - t0 < 16 ? rows - t0 : 16;
                        const uint8_t *bh = amx_b + tt * tileBytes + (size_t) step * 1024, *bl = bh + (size_t) steps * 1024;
                        amx_configure(&cfg, m, nt);
                        _tile_zero(3);
                        _tile_zero(4);
                        for (int s = 0; s < cs; s++) {
                            _tile_loadd(0, ac + s * 64, 128);
                            _tile_loadd(1, bh + s * 1024, 64);
                            _tile_loadd(2, bl + s * 1024, 64);
                            if (BITS == 8) { _tile_dpbssd(3, 0, 1); _tile_dpbssd(4, 0, 2); }
                            else { _tile_dpbusd(3, 0, 1); _tile_dpbusd(4, 0, 2); }
                        }
                        _tile_stored(3, ch[c & 1][tt], 64);
                        _tile_stored(4, cl[c & 1][tt], 64);
                    }
                    step += cs;
                }
                if (c > 0) { /* chunk p = c - 1, per row i, tokens in lanes: v = fma(-z, S, (float) (254 Chi + Clo)), acc = fma(v, s e, acc) */
                    int p = c - 1, g = cgrp[p];
                    for (int tt = 0; tt < tiles; tt++) {
                        __m512 sx = _mm512_load_ps(sxt + ((long) tt * chunks + p) * 16);
                        __m512 ex = _mm512_load_ps(ext + ((long) tt * chunks + p) * 16);
                        const int32_t *h = ch[p & 1][tt], *l = cl[p & 1][tt];
                        for (int i = 0; i < m; i++) {
                            long sg = (long) (n + i) * groups + g;
                            __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(h + i * 16)), _mm512_set1_ps(254.0f),
                                                       _mm512_cvtepi32_ps(_mm512_load_si512(l + i * 16)));
                            v = _mm512_fnmadd_ps(_mm512_set1_ps((float) zeros[sg]), sx, v);
                            __m512 f = _mm512_mul_ps(_mm512_set1_ps(_cvtsh_ss(scales[sg])), ex);
                            _mm512_store_ps(acc[tt][i], _mm512_fmadd_ps(v, f, _mm512_load_ps(acc[tt][i])));
                        }
                    }
                }
            }
            for (int tt = 0; tt < tiles; tt++) {
                int t0 = r0 + tt * 16, nt = rows - t0 < 16 ? rows - t0 : 16;
                for (int i = 0; i < m; i++)
                    for (int t = 0; t < nt; t++) y[(long) (t0 + t) * ystride + n + i] = bias ? acc[tt][i][t] + bias[n + i] : acc[tt][i][t];
            }
        }
    }
    _tile_release();
}

AMX_TARGET static void tokens_amx(int bits, const uint8_t *codes, long rowBytes, const uint16_t *scales, const int16_t *zeros,
        int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb, const int8_t *hi, const int8_t *lo,
        const float *xe, const int32_t *xs, int rows, float *y, int ystride, const float *bias, int n0, int n1) {
    if (bits == 8) amx_bits(8, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else amx_bits(4, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
}
#endif

/* Entry point: y[r][n] for rows r < rows and outputs n in [n0, n1); level: one that gptq4j_cpu_levels reports (chosen by Java). */
void gptq4j_qgemm(int level, int bits, const uint8_t *codes, long rowBytes, const uint16_t *scales, const int16_t *zeros,
                  int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb, const int8_t *hi,
                  const int8_t *lo, const float *xe, const int32_t *xs, int rows, float *y, int ystride,
                  const float *bias, int n0, int n1) {
#ifdef GPTQ4J_AMX
    /* a few tokens are bound by memory bandwidth (the SIMD dots reach it); larger batches go through the tile unit */
    if (level >= 4 && rows >= AMX_MIN_ROWS) { tokens_amx(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1); return; }
#endif
    if (level >= 3) simd_avx512(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else if (level == 2) tokens_vnni(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else tokens_avx2(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
}

/* ---------------------------------------------------------------- activation quantization */

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
 * ActivationQuantizer.quantizeChunks with the same bits: chunks [i0, i1) of the rows laid end to end (chunk i is chunk
 * i % chunks of row i / chunks). Slot k of a row reads x[gather[k]] (0 where gather[k] < 0), or x[k] (0 where k >= in)
 * without a gather table. Per chunk: amax = max |x'|, u = x' (127 / amax), hi = round(u), lo = round((u - hi) 254),
 * e = amax / (127 254), S = sum (254 hi + lo), rounding as Java's Math.round.
 */
AVX2_TARGET void gptq4j_quantize(const float *x, int in, const int32_t *gather, const int32_t *cblk, int chunks, int nb,
                                 int i0, int i1, int8_t *hi, int8_t *lo, float *e, int32_t *sums) {
    const long padded = nb * 32L;
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
        sums[i] = hsum_avx2(sum); /* the token kernel's int32 lane sum (integers: any order is exact) */
    }
}

/* ---------------------------------------------------------------- F16 weights x float activations */

AVX2_TARGET INLINE float hsum_ps(__m256 v) {
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
            _mm_prefetch((const char *) (w[r] + k) + 1024, _MM_HINT_T0);
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

/* ---------------------------------------------------------------- attention */

/*
 * Causal attention of one head of one token over its sequence in a paged KV cache (Attention.java):
 *   s_p = (q . k_p) * scale,  w_p = exp(s_p - max s) / sum exp(s - max s),  out = sum_p w_p v_p,  p in [0, pos]
 * Position p's vector starts at float index base + (blocks[p / blockSize] * blockSize + p % blockSize) * stride of
 * keys and values (base: the layer's first float plus the head's offset). Eight-lane FMAs in four chains over the
 * head dimension, exp by a polynomial, sums in a fixed order: a token's head has the same bits whatever else runs.
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

AVX2_TARGET void gptq4j_attend(const float *q, int qo, const float *keys, const float *values, long base, const int32_t *blocks,
                               int blockSize, int stride, int hd, int pos, float scale, float *scores, float *out, int oo) {
    const int whole = hd / 8 * 8;
    q += qo;
    out += oo;
    float max = -INFINITY;
    for (int b = 0, p = 0; p <= pos; b++) { /* position p = b * blockSize + slot */
        const float *kb = keys + base + (long) blocks[b] * blockSize * stride;
        for (int slot = 0; slot < blockSize && p <= pos; slot++, p++) {
            const float *k = kb + (long) slot * stride;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            int d = 0;
            for (; d + 32 <= whole; d += 32) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8), _mm256_loadu_ps(k + d + 8), a1);
                a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 16), _mm256_loadu_ps(k + d + 16), a2);
                a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 24), _mm256_loadu_ps(k + d + 24), a3);
            }
            for (; d < whole; d += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), a0);
            float s = hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
            for (; d < hd; d++) s += q[d] * k[d];
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
    for (int d0 = 0; d0 < hd; d0 += 64) { /* out[d0, d0 + 64) in eight registers while every position passes */
        int n = hd - d0 < 64 ? hd - d0 : 64, vecs = n / 8;
        __m256 acc[8];
        for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_ps();
        float tail[8] = {0};
        for (int b = 0, p = 0; p <= pos; b++) {
            const float *vb = values + base + (long) blocks[b] * blockSize * stride + d0;
            for (int slot = 0; slot < blockSize && p <= pos; slot++, p++) {
                const float *v = vb + (long) slot * stride;
                __m256 wv = _mm256_set1_ps(scores[p]);
                for (int i = 0; i < vecs; i++) acc[i] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(v + 8 * i), acc[i]);
                for (int j = 8 * vecs; j < n; j++) tail[j - 8 * vecs] = fmaf(scores[p], v[j], tail[j - 8 * vecs]);
            }
        }
        for (int i = 0; i < vecs; i++) _mm256_storeu_ps(out + d0 + 8 * i, acc[i]);
        for (int j = 8 * vecs; j < n; j++) out[d0 + j] = tail[j - 8 * vecs];
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
