/*
 * Internal to the native kernels (not the library's interface, which is gptq4j.h): instruction-set targets, tile
 * sizes, the per-ISA product kernels that gptq4j_qgemm dispatches to, and (kernels_x86.h, on x86-64 only) the x86
 * targets and SIMD helpers several files share. Every source file includes this header first.
 */
#ifndef GPTQ4J_KERNELS_H
#define GPTQ4J_KERNELS_H

#define _DEFAULT_SOURCE /* madvise, sysconf, syscall under -std=c11 */
#ifdef GPTQ4J_SDKLESS /* macOS without Apple's SDK (core/build-native.sh) */
#include "sdkless.h"
#else
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#endif

#include "gptq4j.h"

#define ROW_CHUNK 16 /* rows of a 256-bit kernel that stay in cache while every token tile passes */
#define TILE 4       /* tokens per pass over a weight row (each unpacked weight vector feeds TILE tokens) */

#define INLINE static inline __attribute__((always_inline))
#ifdef _WIN32
#define HIDDEN /* a DLL exports only what gptq4j.h marks GPTQ4J_API */
#else
#define HIDDEN __attribute__((visibility("hidden"))) /* shared between the library's files, not exported */
#endif

#if defined(__x86_64__) || defined(_M_X64)
#include "kernels_x86.h"
#endif

/* 64-byte aligned allocations, released by aligned_free (the Windows C runtime has no aligned_alloc). */
#ifdef _WIN32
#include <malloc.h>
#define aligned_alloc(alignment, bytes) _aligned_malloc((bytes), (alignment))
#define aligned_free _aligned_free
#else
#define aligned_free free
#endif

/* A kernel's per-thread scratch (*buf, *size: the caller's __thread variables; the Java compute threads are
 * persistent, so it is kept for the thread's life), grown to at least `bytes`, 64-byte aligned, contents not kept.
 * NULL when it cannot be allocated. */
static inline void *scratch_grow(void **buf, size_t *size, size_t bytes) {
    if (*size < bytes) {
        aligned_free(*buf);
        *buf = aligned_alloc(64, (bytes + 63) / 64 * 64);
        *size = *buf ? bytes : 0;
    }
    return *buf;
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
HIDDEN qgemm_kernel gptq4j_qgemm_i16_avx512; /* qgemm_i16_avx512.c */
#ifdef GPTQ4J_AMX
HIDDEN qgemm_kernel gptq4j_qgemm_amx;    /* qgemm_amx.c */
#endif

#endif
