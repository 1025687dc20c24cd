/* The AVX-VNNI product kernel (level 2): the int16-activation kernel of qgemm_i16.h with vpdpwssd. */
#include "kernels.h"

/* One instruction: 16 int16 pairs multiplied, adjacent products added into 8 int32 lanes, accumulated. */
VNNI_TARGET INLINE __m256i i16_dot(__m256i acc, __m256i w, __m256i x) {
    return _mm256_dpwssd_avx_epi32(acc, w, x);
}

#define I16_TARGET VNNI_TARGET
#include "qgemm_i16.h"

VNNI_TARGET int gptq4j_qgemm_vnni(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                  const struct gptq4j_output *o) {
    return i16_product(w, x, o);
}
