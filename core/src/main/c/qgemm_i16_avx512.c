/* The int16-activation kernel of qgemm_i16.h at the AVX-512 level, for batches of I16_MIN_ROWS_AVX512 tokens or more on
 * CPUs without AMX (gptq4j_qgemm sends one token to qgemm_avx512.c): its batch loop alone, multiplying 512-bit
 * vectors (vpdpwssd zmm, 32 int16 pairs per instruction). Same integers, same float steps: the bits of every level. */
#include "kernels.h"

/* 32 int16 pairs multiplied, adjacent products added into 16 int32 lanes, accumulated. */
AVX512_TARGET INLINE __m512i i16_dot512(__m512i acc, __m512i w, __m512i x) {
    return _mm512_dpwssd_epi32(acc, w, x);
}

#define I16_TARGET AVX512_TARGET
#define I16_WIDE 1
#include "qgemm_i16.h"

AVX512_TARGET int gptq4j_qgemm_i16_avx512(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                          const struct gptq4j_output *o) {
    return i16_product(w, x, o);
}
