/* The AVX-VNNI product kernel (level 2): qgemm_i16.h with vpdpwssd (int16) and vpdpbusd (int8 planes). */
#include "kernels.h"

/* One instruction: 16 int16 pairs multiplied, adjacent products added into 8 int32 lanes, accumulated. */
VNNI_TARGET INLINE __m256i i16_dot(__m256i acc, __m256i w, __m256i x) {
    return _mm256_dpwssd_avx_epi32(acc, w, x);
}

/* One-token 4-bit dots on the int8 planes: vpdpbusd adds the products of 4 unsigned codes and 4 signed activations
 * into each of 8 int32 lanes. */
typedef __m256i i8_acc;
VNNI_TARGET INLINE i8_acc i8_dot(i8_acc acc, __m256i q, __m256i x) {
    return _mm256_dpbusd_avx_epi32(acc, q, x);
}

#define I16_TARGET VNNI_TARGET
#define I8_ACC_INT32 1
#include "qgemm_i16.h"

VNNI_TARGET int gptq4j_qgemm_vnni(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                  const struct gptq4j_output *o) {
    return i16_product(w, x, o);
}
