/*
 * Internal to the native kernels (not the library's interface, which is gptq4j.h): instruction-set targets, tile
 * sizes, the SIMD helpers several files share, and the per-ISA product kernels that gptq4j_qgemm dispatches to.
 * Every source file includes this header first.
 */
#ifndef GPTQ4J_KERNELS_H
#define GPTQ4J_KERNELS_H

#define _DEFAULT_SOURCE /* madvise, sysconf, syscall under -std=c11 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gptq4j.h"

#define ROW_CHUNK 16 /* rows of a 256-bit kernel that stay in cache while every token tile passes */
#define TILE 4       /* tokens per pass over a weight row (each unpacked weight vector feeds TILE tokens) */

/* Each kernel is compiled for its instruction set with a function attribute, so that one library runs on every
 * level and NativeKernels picks one of gptq4j_cpu_levels at run time. */
#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define VNNI_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define AVX512_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define AMX_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")))
#define INLINE static inline __attribute__((always_inline))
#define HIDDEN __attribute__((visibility("hidden"))) /* shared between the library's files, not exported */

/* AMX-INT8 needs GCC 11's intrinsics and Linux's permission to use the tile state (cpu.c). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__linux__)
#define GPTQ4J_AMX 1
#endif

/* A kernel's per-thread scratch (*buf, *size: the caller's __thread variables; the Java compute threads are
 * persistent, so it is kept for the thread's life), grown to at least `bytes`, 64-byte aligned, contents not kept.
 * NULL when it cannot be allocated. */
static inline void *scratch_grow(void **buf, size_t *size, size_t bytes) {
    if (*size < bytes) {
        free(*buf);
        *buf = aligned_alloc(64, (bytes + 63) / 64 * 64);
        *size = *buf ? bytes : 0;
    }
    return *buf;
}

/* The sum of 8 int32 lanes. */
AVX2_TARGET INLINE int32_t hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* The sum of 8 float lanes: (0+4, 1+5, 2+6, 3+7), then (0+2, 1+3), then 0+1. */
AVX2_TARGET INLINE float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Where a product writes: y[r * ystride + n] (+ bias[n] when bias is not NULL) for tokens r and outputs n in [n0, n1).
 * Internal: y and bias are Java heap arrays, direct arguments of gptq4j_qgemm, which gathers them here. */
struct gptq4j_output {
    float *y;
    const float *bias;
    int ystride, n0, n1;
};

/* The product kernels behind gptq4j_qgemm, one per instruction set, all with the same bits (gptq4j.h): y of
 * outputs [o->n0, o->n1) for the x->rows tokens of x, quantized for w. Each returns 0, or -1 when the scratch memory
 * it needs could not be allocated (then it wrote nothing). */
typedef int qgemm_kernel(const struct gptq4j_weights *w, const struct gptq4j_activations *x, const struct gptq4j_output *o);
HIDDEN qgemm_kernel gptq4j_qgemm_avx2;   /* qgemm_avx2.c */
HIDDEN qgemm_kernel gptq4j_qgemm_vnni;   /* qgemm_vnni.c */
HIDDEN qgemm_kernel gptq4j_qgemm_avx512; /* qgemm_avx512.c */
#ifdef GPTQ4J_AMX
HIDDEN qgemm_kernel gptq4j_qgemm_amx;    /* qgemm_amx.c */
#endif

#endif
