/*
 * Internal to the x86-64 kernels (kernels.h includes it on x86-64 only): the instruction-set targets and the SIMD
 * helpers several x86 files share. Moved here unchanged from kernels.h so that the portable files and the aarch64
 * kernels (kernels_neon.h) build without immintrin.h.
 */
#ifndef GPTQ4J_KERNELS_X86_H
#define GPTQ4J_KERNELS_X86_H

#include <immintrin.h>

/* Each kernel is compiled for its instruction set with a function attribute, so that one library runs on every
 * level and NativeKernels picks one of gptq4j_cpu_levels at run time. */
#define AVX2_TARGET __attribute__((target("avx2,fma,f16c")))
#define VNNI_TARGET __attribute__((target("avx2,fma,f16c,avxvnni")))
#define AVX512_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#define AMX_TARGET __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")))

/* AMX-INT8 needs GCC 11's intrinsics and Linux's permission to use the tile state (cpu.c). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__linux__)
#define GPTQ4J_AMX 1
#endif

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

#endif
