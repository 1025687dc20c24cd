/* The int16-activation kernel of qgemm_i16.h at the AVX-512 level (batches of I16_MIN_ROWS_AVX512 tokens or more on
 * CPUs without AMX): its batch loop multiplies 512-bit vectors (vpdpwssd zmm, 32 int16 pairs per instruction), the
 * one-token path keeps the 256-bit AVX-VNNI forms (AVX512VL). Same integers, same float steps: the bits of every level. */
#include "kernels.h"

/* 16 int16 pairs multiplied, adjacent products added into 8 int32 lanes, accumulated (AVX512-VNNI on 256 bits). */
AVX512_TARGET INLINE __m256i i16_dot(__m256i acc, __m256i w, __m256i x) {
    return _mm256_dpwssd_epi32(acc, w, x);
}

/* The same over 512 bits: 32 int16 pairs into 16 int32 lanes. */
AVX512_TARGET INLINE __m512i i16_dot512(__m512i acc, __m512i w, __m512i x) {
    return _mm512_dpwssd_epi32(acc, w, x);
}

/* One-token 4-bit dots on the int8 planes: vpdpbusd adds the products of 4 unsigned codes and 4 signed activations
 * into each of 8 int32 lanes. */
typedef __m256i i8_acc;
AVX512_TARGET INLINE i8_acc i8_dot(i8_acc acc, __m256i q, __m256i x) {
    return _mm256_dpbusd_epi32(acc, q, x);
}


#define I16_TARGET AVX512_TARGET
#define I16_WIDE 1
#define I8_ACC_INT32 1
#include "qgemm_i16.h"

AVX512_TARGET int gptq4j_qgemm_i16_avx512(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                          const struct gptq4j_output *o) {
    return i16_product(w, x, o);
}
