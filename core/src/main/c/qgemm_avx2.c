/* The AVX2/FMA product kernel (level 1): the int16-activation kernel of qgemm_i16.h with vpmaddwd + vpaddd. */
#include "kernels.h"

/* madd multiplies 16 int16 pairs and adds adjacent products into 8 int32 lanes (|q x| < 2^23: no overflow). */
AVX2_TARGET INLINE __m256i i16_dot(__m256i acc, __m256i w, __m256i x) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(w, x));
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
