package org.gptq4j.kernel;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The native library's levels: what a cap selects, and the names that select them. */
class NativeKernelsTest {

    /**
     * Where the build compiled the library and this CPU has AVX2, it must load: a failure (e.g. the C structs' offsets
     * disagreeing with NativeWeights or NativePlanes) would otherwise only show as every native test being skipped.
     */
    @Test
    void theLibraryTheBuildCompiledLoads() {
        assumeTrue(NativeKernels.class.getResource("/native/" + NativeKernels.platform() + "/libgptq4j.so") != null,
                "built without a C compiler");
        assertThat(NativeKernels.status()).doesNotContain("failed to load");
    }

    /** Levels are not nested (Zen 4: AVX-512 without AVX-VNNI), so a cap must never select a level the CPU lacks. */
    @Test
    void aCapSelectsTheHighestLevelThisCpuRunsAtOrBelowIt() {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        assertThat(NativeKernels.levels()).contains(KernelLevel.AVX2);
        try {
            for (KernelLevel cap : KernelLevel.values()) {
                NativeKernels.capLevel(cap.number());
                KernelLevel expected = KernelLevel.AVX2;
                for (KernelLevel l : NativeKernels.levels()) if (l.compareTo(cap) <= 0) expected = l;
                assertThat(NativeKernels.level()).as("cap %s", cap).contains(expected);
            }
        } finally {
            NativeKernels.capLevel(4);
        }
        assertThat(NativeKernels.level()).contains(NativeKernels.levels().stream().reduce((a, b) -> b).orElseThrow());
    }

    @Test
    void levelsAreNamedAsTheCommandLineAndPropertyNameThem() {
        assertThat(KernelLevel.of("avx2")).isEqualTo(KernelLevel.AVX2);
        assertThat(KernelLevel.of("AVX-VNNI")).isEqualTo(KernelLevel.AVX_VNNI);
        assertThat(KernelLevel.of(" avx512 ")).isEqualTo(KernelLevel.AVX512);
        assertThat(KernelLevel.of("4")).isEqualTo(KernelLevel.AMX);
        for (KernelLevel l : KernelLevel.values()) assertThat(KernelLevel.of(l.id())).isEqualTo(l);
        assertThatThrownBy(() -> KernelLevel.of("sse4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'sse4' is not a kernel level").hasMessageContaining("avx2, avx-vnni, avx512, amx");
        assertThatThrownBy(() -> KernelLevel.of("5")).isInstanceOf(IllegalArgumentException.class);
    }
}
