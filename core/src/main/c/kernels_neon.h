/*
 * Internal to the aarch64 kernels (the *_neon.c files, compiled only for aarch64 by core/build-native.sh): the
 * dot-product and i8mm targets and the helpers they share. Levels (gptq4j.h): 5 NEON (every aarch64 CPU), 6 NEON with
 * the ARMv8.2 dot-product instructions (sdot), 7 level 6 with the int8 matrix multiplies (smmla, FEAT_I8MM), chosen at
 * run time by gptq4j_cpu_levels.
 *
 * Several helpers here emulate the x86 AVX2 kernels' 8-lane vectors as pairs of 4-lane ones (struct f32x8), with the
 * same lane order in every sum, so that the float results (F16 products, attention) have the AVX2 level's bits.
 */
#ifndef GPTQ4J_KERNELS_NEON_H
#define GPTQ4J_KERNELS_NEON_H

#include <arm_neon.h>

#ifdef __clang__
#define DOTPROD_TARGET __attribute__((target("dotprod")))
#else
#define DOTPROD_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))
#endif

/* The dot products and the int8 matrix multiplies (FEAT_I8MM: smmla), nothing else of ARMv8.6, which a CPU with
 * i8mm need not have (Neoverse V1 is ARMv8.4 with i8mm). GCC's arm_neon.h declares vmmlaq_s32 for such a function;
 * clang 14's only where the whole file is compiled with i8mm, so qgemm_i8mm_neon.c calls clang's
 * builtin instead (its mmla). */
#ifdef __clang__
#define I8MM_TARGET __attribute__((target("dotprod,i8mm")))
#else
#define I8MM_TARGET __attribute__((target("arch=armv8.2-a+dotprod+i8mm")))
#endif

#define LEVEL_NEON 5
#define LEVEL_NEON_DOTPROD 6
#define LEVEL_NEON_I8MM 7

/* The level-7 product of batches of 2 tokens or more (qgemm_i8mm_neon.c; gptq4j_qgemm of qgemm_neon.c dispatches),
 * as kernels.h's qgemm_kernel. */
HIDDEN qgemm_kernel gptq4j_qgemm_i8mm;

/* An AVX2 __m256 as two NEON halves: lanes 0-3 in lo, 4-7 in hi. */
typedef struct { float32x4_t lo, hi; } f32x8;

INLINE f32x8 f32x8_load(const float *p) { return (f32x8) {vld1q_f32(p), vld1q_f32(p + 4)}; }
INLINE f32x8 f32x8_zero(void) { return (f32x8) {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)}; }
INLINE f32x8 f32x8_add(f32x8 a, f32x8 b) { return (f32x8) {vaddq_f32(a.lo, b.lo), vaddq_f32(a.hi, b.hi)}; }
/* a * b + c, fused lane by lane (_mm256_fmadd_ps) */
INLINE f32x8 f32x8_fma(f32x8 a, f32x8 b, f32x8 c) { return (f32x8) {vfmaq_f32(c.lo, a.lo, b.lo), vfmaq_f32(c.hi, a.hi, b.hi)}; }

/* kernels_x86.h's hsum_ps, in its order: (0+4, 1+5, 2+6, 3+7), then (0+2, 1+3), then 0+1. */
INLINE float f32x8_hsum(f32x8 v) {
    float32x4_t s = vaddq_f32(v.lo, v.hi);
    float a = vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 2), b = vgetq_lane_f32(s, 1) + vgetq_lane_f32(s, 3);
    return a + b;
}

/* An F16 value (IEEE binary16 bits) as a float, exactly (as F16C's _cvtsh_ss). */
INLINE float f16_to_f32(uint16_t h) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

#endif
