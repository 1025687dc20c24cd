/* The AVX2/FMA product kernel (level 1): the 256-bit token kernel of qgemm_tokens.h with maddubs + madd dots. */
#include "kernels.h"

/* maddubs multiplies u8 x s8 and adds adjacent pairs into s16 (no saturation: |q| <= 128, |x| <= 127), madd with
 * ones adds adjacent s16 pairs into s32. */
AVX2_TARGET INLINE __m256i token_dot(__m256i acc, __m256i u, __m256i s) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

#define TOKEN_TARGET AVX2_TARGET
#include "qgemm_tokens.h"

/*
 * The level-1 kernel (kernels.h): y[r * o->ystride + n] (+ o->bias[n]) for the x->rows tokens of x and the outputs
 * n in [o->n0, o->n1), computed with exactly the integer and float steps of gptq4j.h so that its bits are those of
 * every other level and of the Java kernel (GptqKernelTest checks them). Any kernel with this signature and those
 * bits can replace this file; qgemm_vnni.c keeps qgemm_tokens.h.
 */
AVX2_TARGET void gptq4j_qgemm_avx2(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                   const struct gptq4j_output *o) {
    if (w->bits == 8) token_rows(8, w, x, o);
    else token_rows(4, w, x, o);
}
