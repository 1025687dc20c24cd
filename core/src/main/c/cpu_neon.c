/* CPU detection on aarch64: NEON is architectural; the dot-product instructions (ARMv8.2 DotProd) are optional. */
#include "kernels.h"
#include "kernels_neon.h"

#if defined(__linux__)
#include <sys/auxv.h>
#define HWCAP_ASIMD_BIT (1UL << 1)    /* <asm/hwcap.h> HWCAP_ASIMD */
#define HWCAP_ASIMDDP_BIT (1UL << 20) /* <asm/hwcap.h> HWCAP_ASIMDDP */
#elif defined(__APPLE__) && !defined(GPTQ4J_SDKLESS)
#include <sys/sysctl.h>
#endif

/* Whether this CPU (and OS) runs sdot/udot: Linux says so in AT_HWCAP, macOS in hw.optional.arm.FEAT_DotProd (every
 * Apple Silicon CPU has it). */
static int has_dotprod(void) {
#if defined(__linux__)
    unsigned long hw = getauxval(AT_HWCAP);
    return (hw & HWCAP_ASIMD_BIT) && (hw & HWCAP_ASIMDDP_BIT);
#elif defined(__APPLE__)
    int v = 0;
    size_t size = sizeof v;
    return sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &size, NULL, 0) == 0 && v != 0;
#else
    return 0;
#endif
}

/* Level 5 (NEON) on every aarch64 CPU, level 6 (NEON + dot products) where it has them (gptq4j.h). */
int gptq4j_cpu_levels(void) {
    return 1 << LEVEL_NEON | (has_dotprod() ? 1 << LEVEL_NEON_DOTPROD : 0);
}
