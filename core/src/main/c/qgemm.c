/* gptq4j_qgemm: the quantized product's entry point, which picks a kernel for the level and the batch (gptq4j.h). */
#include "kernels.h"

/* Where AMX is present it takes every batch of 2 tokens or more (two threads, 11008x4096 4-bit: 2 tokens 2.8 ms, as
 * the AVX-512 kernel; 4 tokens 2.8 against 4.1 ms; 8 tokens 2.9 against 12.9 ms). Without AMX the AVX-512 kernel
 * serves batches. */
#define AMX_MIN_ROWS 2

/* Entry point: y[r][n] for rows r < rows and outputs n in [n0, n1); at a level of gptq4j_cpu_levels. */
void gptq4j_qgemm(int level, int bits, const uint8_t *codes, long rowBytes, const uint16_t *scales, const int16_t *zeros,
                  int groups, const int32_t *cblk, const int32_t *cgrp, int chunks, int nb, const int8_t *hi,
                  const int8_t *lo, const float *xe, const int32_t *xs, int rows, float *y, int ystride,
                  const float *bias, int n0, int n1) {
#ifdef GPTQ4J_AMX
    /* a few tokens are bound by memory bandwidth (the SIMD dots reach it); larger batches go through the tile unit */
    if (level >= 4 && rows >= AMX_MIN_ROWS) { gptq4j_qgemm_amx(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1); return; }
#endif
    if (level >= 3) gptq4j_qgemm_avx512(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else if (level == 2) gptq4j_qgemm_vnni(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
    else gptq4j_qgemm_avx2(bits, codes, rowBytes, scales, zeros, groups, cblk, cgrp, chunks, nb, hi, lo, xe, xs, rows, y, ystride, bias, n0, n1);
}
