/* The AVX-VNNI product kernel (level 2): the 256-bit token kernel of qgemm_tokens.h with vpdpbusd dots. */
#include "kernels.h"

/* One instruction: u8 x s8 quads summed into s32. */
VNNI_TARGET INLINE __m256i token_dot(__m256i acc, __m256i u, __m256i s) {
    return _mm256_dpbusd_avx_epi32(acc, u, s);
}

#define TOKEN_TARGET VNNI_TARGET
#include "qgemm_tokens.h"

VNNI_TARGET void gptq4j_qgemm_vnni(int bits, const uint8_t *codes, long rowBytes, const uint16_t *scales, const int16_t *zeros,
        int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb, const int8_t *hi, const int8_t *lo,
        const float *xe, const int32_t *xs, int rows, float *y, int ystride, const float *bias, int n0, int n1) {
    if (bits == 8) token_rows(8, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else token_rows(4, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
}
