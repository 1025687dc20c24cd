/* The AVX-VNNI product kernel (level 2): the 256-bit token kernel of qgemm_tokens.h with vpdpbusd dots. */
#include "kernels.h"

/* One instruction: u8 x s8 quads summed into s32. */
VNNI_TARGET INLINE __m256i token_dot(__m256i acc, __m256i u, __m256i s) {
    return _mm256_dpbusd_avx_epi32(acc, u, s);
}

#define TOKEN_TARGET VNNI_TARGET
#include "qgemm_tokens.h"

VNNI_TARGET void gptq4j_qgemm_vnni(const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                                   const struct gptq4j_output *o) {
    if (w->bits == 8) token_rows(8, w, x, o);
    else token_rows(4, w, x, o);
}
