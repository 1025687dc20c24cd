/* CPU detection on aarch64: NEON is architectural; the dot-product instructions (ARMv8.2 DotProd) and the int8 matrix
 * multiplies (FEAT_I8MM: ARMv8.6, optional from ARMv8.2) are optional. */
#include "kernels.h"
#include "kernels_neon.h"

#if defined(__linux__)
#include <sys/auxv.h>
#define HWCAP_ASIMD_BIT (1UL << 1)    /* <asm/hwcap.h> HWCAP_ASIMD */
#define HWCAP_ASIMDDP_BIT (1UL << 20) /* <asm/hwcap.h> HWCAP_ASIMDDP */
#define HWCAP2_I8MM_BIT (1UL << 13)   /* <asm/hwcap.h> HWCAP2_I8MM, in AT_HWCAP2 */
#elif defined(__APPLE__) && !defined(GPTQ4J_SDKLESS)
#include <sys/sysctl.h>
#endif

#if defined(__APPLE__)
/* Whether macOS's hw.optional.arm.<feature> says 1 (absent on older systems: 0). */
static int macos_feature(const char *name) {
    int v = 0;
    size_t size = sizeof v;
    return sysctlbyname(name, &v, &size, NULL, 0) == 0 && v != 0;
}
#endif

/* Whether this CPU (and OS) runs sdot/udot: Linux says so in AT_HWCAP, macOS in hw.optional.arm.FEAT_DotProd (every
 * Apple Silicon CPU has it). */
static int has_dotprod(void) {
#if defined(__linux__)
    unsigned long hw = getauxval(AT_HWCAP);
    return (hw & HWCAP_ASIMD_BIT) && (hw & HWCAP_ASIMDDP_BIT);
#elif defined(__APPLE__)
    return macos_feature("hw.optional.arm.FEAT_DotProd");
#else
    return 0;
#endif
}

/* Whether it runs smmla (FEAT_I8MM): Linux says so in AT_HWCAP2, macOS in hw.optional.arm.FEAT_I8MM (Apple M2 and
 * later). */
static int has_i8mm(void) {
#if defined(__linux__)
    return (getauxval(AT_HWCAP2) & HWCAP2_I8MM_BIT) != 0;
#elif defined(__APPLE__)
    return macos_feature("hw.optional.arm.FEAT_I8MM");
#else
    return 0;
#endif
}

/* Level 5 (NEON) on every aarch64 CPU, level 6 (NEON + dot products) where it has them, level 7 (i8mm) only with
 * level 6: its kernel runs batches and leaves single tokens to level 6's sdot kernel (gptq4j.h). */
int gptq4j_cpu_levels(void) {
    if (!has_dotprod()) return 1 << LEVEL_NEON;
    return 1 << LEVEL_NEON | 1 << LEVEL_NEON_DOTPROD | (has_i8mm() ? 1 << LEVEL_NEON_I8MM : 0);
}
