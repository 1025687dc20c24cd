/* CPU detection: which instruction-set level the kernels run at (gptq4j.h). */
#include "kernels.h"

#ifdef GPTQ4J_AMX
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* 0: use the Java fallback; 1: AVX2/FMA; 2: also AVX-VNNI; 3: AVX-512 VNNI; 4: also AMX-INT8 (batched products). */
int gptq4j_cpu_level(void) {
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))) return 0;
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni")) {
#ifdef GPTQ4J_AMX
        /* AMX: the CPU has it (CPUID.7.0:EDX bits 24, 25) and Linux lets this process use the tile data (arch_prctl) */
        unsigned a, b, c, d;
        __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
        if ((d >> 24 & 1) && (d >> 25 & 1) && syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18) == 0) return 4;
#endif
        return 3;
    }
    return __builtin_cpu_supports("avxvnni") ? 2 : 1;
}
