/* The AVX2/FMA product kernel (level 1): qgemm_i16.h with vpmaddwd + vpaddd (int16) and vpmaddubsw (int8 planes). */
#include "kernels.h"

/* madd multiplies 16 int16 pairs and adds adjacent products into 8 int32 lanes (|q x| < 2^23: no overflow). */
AVX2_TARGET INLINE __m256i i16_dot(__m256i acc, __m256i w, __m256i x) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(w, x));
}

/* One-token 4-bit dots on the int8 planes: maddubs multiplies 32 unsigned codes (0..15) by 32 signed activations
 * (-127..127) and adds adjacent products into 16 int16 lanes (|.| <= 3810), added up in int16 over a chunk (at most
 * four per plane: |.| <= 15240, no saturation), then widened once per chunk, exactly. */
typedef __m256i i8_acc;
AVX2_TARGET INLINE i8_acc i8_dot(i8_acc acc, __m256i q, __m256i x) {
    return _mm256_add_epi16(acc, _mm256_maddubs_epi16(q, x));
}

/* 254 * hi + lo in 8 int32 lanes, from the int16 sums of the two planes. */
AVX2_TARGET INLINE __m256i i8_combine(i8_acc hi, i8_acc lo) {
    return _mm256_add_epi32(_mm256_madd_epi16(hi, _mm256_set1_epi16(254)), _mm256_madd_epi16(lo, _mm256_set1_epi16(1)));
}

#define I16_TARGET AVX2_TARGET
#include "qgemm_i16.h"

/*
 * The level-1 kernel (kernels.h): y[r * o->ystride + n] (+ o->bias[n]) for the x->rows tokens of x and the outputs
 * n in [o->n0, o->n1), computed with exactly the integer and float steps of gptq4j.h so that its bits are those of
 * every other level and of the Java kernel (GptqKernelTest checks them).
 */
AVX2_TARGET int gptq4j_qgemm_avx2(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                  const struct gptq4j_output *o) {
    return i16_product(w, x, o);
}
