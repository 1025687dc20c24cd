/* gptq4j_qgemm: the quantized product's entry point, which picks a kernel for the level and the batch (gptq4j.h). */
#include "kernels.h"

/* Where AMX is present it takes every batch of 2 tokens or more (two threads, 11008x4096 4-bit: 2 tokens 2.8 ms, as
 * the AVX-512 kernel; 4 tokens 2.8 against 4.1 ms; 8 tokens 2.9 against 12.9 ms). Without AMX the AVX-512 kernel
 * serves batches of up to I16_MIN_ROWS_AVX512 - 1 tokens. */
#define AMX_MIN_ROWS 2
/* From this many tokens, a CPU with AVX-512 but without AMX runs the int16 kernel of qgemm_i16.h in its 512-bit form
 * (qgemm_i16_avx512.c). Sapphire Rapids capped to avx512, two threads, 11008x4096 4-bit (C harness, same checksums):
 * 8 tokens 5.4 ms on the two-plane AVX-512 kernel against 7.3, 16 tokens 11.1 against 10.8, 32 tokens 22.2 against
 * 15.4, 64 tokens 31.0 against 36.8 on the 256-bit int16 kernel that served them before, 512 tokens 243 against 306. */
#define I16_MIN_ROWS_AVX512 32

int gptq4j_qgemm(int level, const struct gptq4j_weights *w, const struct gptq4j_activations *x,
                 float *y, int ystride, const float *bias, int n0, int n1) {
    const struct gptq4j_output o = {y, bias, ystride, n0, n1};
#ifdef GPTQ4J_AMX
    /* a few tokens are bound by memory bandwidth (the SIMD dots reach it); larger batches go through the tile unit */
    if (level >= 4 && x->rows >= AMX_MIN_ROWS) return gptq4j_qgemm_amx(w, x, &o);
#endif
    /* without AMX, long batches (prefill) go to the int16 kernel: on Zen 4 a 512-token prefill of the 7B shape ran at
     * 9.95 t/s through its 256-bit form against 8.00 through the AVX-512 one (whose two int8 planes double the
     * multiplies); shorter batches and one token stay on AVX-512 (4.32 t/s decode against 3.46) */
    if (level >= 3 && x->rows >= I16_MIN_ROWS_AVX512) return gptq4j_qgemm_i16_avx512(w, x, &o);
    if (level >= 3) return gptq4j_qgemm_avx512(w, x, &o);
    if (level == 2) return gptq4j_qgemm_vnni(w, x, &o);
    return gptq4j_qgemm_avx2(w, x, &o);
}
