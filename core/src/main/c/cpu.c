/* CPU detection: which instruction-set level the kernels run at (gptq4j.h). */
#include "kernels.h"

#ifdef GPTQ4J_AMX
#include <sys/syscall.h>
#include <unistd.h>
#endif

/*
 * The levels this CPU (and OS) runs, bit L set for level L; 0: none (the Java fallback runs).
 *   1 AVX2/FMA/F16C   2 AVX-VNNI   3 AVX-512 VNNI (with BW and VL)   4 AMX-INT8, with level 3 (batched products)
 * Every kernel uses AVX2 helpers, so every level needs level 1. The others are not nested: Zen 4 and Ice Lake have
 * AVX-512 VNNI but not the VEX-encoded AVX-VNNI of level 2, Alder Lake has AVX-VNNI without AVX-512.
 */
int gptq4j_cpu_levels(void) {
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))) return 0;
    int levels = 1 << 1;
    if (__builtin_cpu_supports("avxvnni")) levels |= 1 << 2;
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) {
        levels |= 1 << 3;
#ifdef GPTQ4J_AMX
        /* AMX: the CPU has it (CPUID.7.0:EDX bits 24, 25) and Linux lets this process use the tile data (arch_prctl) */
        unsigned a, b, c, d;
        __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
        if ((d >> 24 & 1) && (d >> 25 & 1) && syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18) == 0) levels |= 1 << 4;
#endif
    }
    return levels;
}
