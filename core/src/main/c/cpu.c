/* CPU detection: which instruction-set level the kernels run at (gptq4j.h). */
#include "kernels.h"

#if defined(__APPLE__) && defined(__clang__) && !defined(GPTQ4J_SDKLESS)
#include <sys/sysctl.h>
#endif
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
#if defined(__clang__)
/* clang (the macOS x86-64 library, built without compiler-rt, whose __cpu_model __builtin_cpu_supports needs) reads
 * CPUID itself: the same feature bits as GCC's builtin, and the OS's consent by XGETBV (XMM/YMM state; ZMM state for
 * AVX-512 except on macOS, which enables it on a thread's first AVX-512 instruction and says so in
 * hw.optional.avx512f instead). */
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    __asm__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static int cpu_has(const char *feature) {
    unsigned l1[4], l7[4], l71[4], max[4];
    cpuid(0, 0, max);
    cpuid(1, 0, l1);
    if (max[0] < 7) return 0;
    cpuid(7, 0, l7);
    cpuid(7, 1, l71);
    if (!(l1[2] >> 27 & 1)) return 0; /* OSXSAVE: XGETBV is usable */
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    int ymm = (lo & 0x6) == 0x6;
#ifdef __APPLE__
    int v = 0;
    size_t size = sizeof v;
    int zmm = ymm && sysctlbyname("hw.optional.avx512f", &v, &size, NULL, 0) == 0 && v != 0;
#else
    int zmm = ymm && (lo & 0xE0) == 0xE0;
#endif
    if (!strcmp(feature, "avx2")) return ymm && (l7[1] >> 5 & 1);
    if (!strcmp(feature, "fma")) return ymm && (l1[2] >> 12 & 1);
    if (!strcmp(feature, "f16c")) return ymm && (l1[2] >> 29 & 1);
    if (!strcmp(feature, "avxvnni")) return ymm && (l71[0] >> 4 & 1);
    if (!strcmp(feature, "avx512bw")) return zmm && (l7[1] >> 16 & 1) && (l7[1] >> 30 & 1);
    if (!strcmp(feature, "avx512vl")) return zmm && (l7[1] >> 16 & 1) && (l7[1] >> 31 & 1);
    if (!strcmp(feature, "avx512vnni")) return zmm && (l7[1] >> 16 & 1) && (l7[2] >> 11 & 1);
    return 0;
}
#define __builtin_cpu_init() ((void) 0)
#define __builtin_cpu_supports(feature) cpu_has(feature)
#endif

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
