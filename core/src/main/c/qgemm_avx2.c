/* The AVX2/FMA product kernel (level 1): the 256-bit token kernel of qgemm_tokens.h with maddubs + madd dots. */
#include "kernels.h"

/* maddubs multiplies u8 x s8 and adds adjacent pairs into s16 (no saturation: |q| <= 128, |x| <= 127), madd with
 * ones adds adjacent s16 pairs into s32. */
AVX2_TARGET INLINE __m256i token_dot(__m256i acc, __m256i u, __m256i s) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

#define TOKEN_TARGET AVX2_TARGET
#include "qgemm_tokens.h"

AVX2_TARGET void gptq4j_qgemm_avx2(int bits, const uint8_t *codes, long rowBytes, const uint16_t *scales, const int16_t *zeros,
        int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb, const int8_t *hi, const int8_t *lo,
        const float *xe, const int32_t *xs, int rows, float *y, int ystride, const float *bias, int n0, int n1) {
    if (bits == 8) token_rows(8, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else token_rows(4, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
}
