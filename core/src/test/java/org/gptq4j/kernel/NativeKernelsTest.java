package org.gptq4j.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

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
        assumeTrue(NativeKernels.class.getResource(NativeKernels.library()) != null,
                "built without a C compiler");
        assertThat(NativeKernels.status()).doesNotContain("failed to load");
    }

    /**
     * The library is loaded from a temporary copy that is deleted right away: a JVM that dies without running its
     * shutdown hooks (here: halted, as a crash or kill -9 would end it) leaves nothing in the temporary directory,
     * and the kernels still run after the file is gone.
     */
    @Test
    void loadingLeavesNoFileBehindEvenWhenTheJvmDies(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        String output = probe(tmp);
        assertThat(output).contains("available=true").contains("read=" + 0x5A5AL);
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).as("files left in java.io.tmpdir").isEmpty();
        }
    }

    /** -Dgptq4j.native.level (read by KernelOptions) takes a level's name or number; anything else is ignored, and said. */
    @Test
    void theLevelPropertyTakesNamesAndNumbers(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        String top = NativeKernels.levels().stream().reduce((a, b) -> b).orElseThrow().id();
        assertThat(probe(tmp, "-Dgptq4j.native.level=avx2")).contains("level=avx2");
        assertThat(probe(tmp, "-Dgptq4j.native.level=1")).contains("level=avx2");
        assertThat(probe(tmp, "-Dgptq4j.native.level=AMX")).contains("level=" + top);
        assertThat(probe(tmp, "-Dgptq4j.native.level=fast")).contains("level=" + top)
                .contains("-Dgptq4j.native.level ignored: 'fast' is not a kernel level");
    }

    /** The output of {@link NativeLibraryProbe} in a fresh JVM with {@code tmp} as its java.io.tmpdir. */
    private static String probe(Path tmp, String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Djava.io.tmpdir=" + tmp));
        command.addAll(List.of(flags));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), NativeLibraryProbe.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = p.getInputStream()) {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("probe JVM finished").isTrue();
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(output).isZero();
        return output;
    }

    /** Levels are not nested (Zen 4: AVX-512 without AVX-VNNI), so a cap must never select a level the CPU lacks. */
    @Test
    void aCapSelectsTheHighestLevelThisCpuRunsAtOrBelowIt() {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        assertThat(NativeKernels.levels()).contains(KernelLevel.AVX2);
        for (KernelLevel cap : KernelLevel.values()) {
            KernelLevel expected = KernelLevel.AVX2;
            for (KernelLevel l : NativeKernels.levels()) if (l.compareTo(cap) <= 0) expected = l;
            assertThat(Kernels.of(KernelBackend.NATIVE, cap).level()).as("cap %s", cap).contains(expected);
        }
        assertThat(Kernels.of(KernelBackend.NATIVE).level()).contains(NativeKernels.levels().stream().reduce((a, b) -> b).orElseThrow());
        assertThat(Kernels.of(KernelBackend.JAVA).level()).isEmpty();
    }

    @Test
    void theDescriptionNamesWhatRunsNotTheBestTheCpuHas() {
        assertThat(Kernels.of(KernelBackend.JAVA).description())
                .isEqualTo("Java Vector API int8-activation kernels, " + VectorKernels.vectorBits() + "-bit vectors");
        assertThat(Kernels.of(KernelBackend.FLOAT).description()).startsWith("Java Vector API float kernels, ").endsWith("-bit vectors");
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        assertThat(Kernels.of(KernelBackend.NATIVE, KernelLevel.AVX2).description())
                .isEqualTo("native AVX2/FMA kernels from " + NativeKernels.library());
    }

    @Test
    void requireLevelAcceptsALevelThisCpuHasAndRefusesOthers() {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        for (KernelLevel l : KernelLevel.values()) {
            if (NativeKernels.levels().contains(l)) {
                assertThat(NativeKernels.requireLevel(l)).isEqualTo(l);
                assertThat(Kernels.of(KernelBackend.NATIVE, l).level()).contains(l);
            } else {
                assertThatThrownBy(() -> NativeKernels.requireLevel(l)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("does not run the " + l.id() + " kernels").hasMessageContaining("avx2");
            }
        }
    }

    @Test
    void levelsAreNamedAsTheCommandLineAndPropertyNameThem() {
        assertThat(KernelLevel.of("avx2")).isEqualTo(KernelLevel.AVX2);
        assertThat(KernelLevel.of("AVX-VNNI")).isEqualTo(KernelLevel.AVX_VNNI);
        assertThat(KernelLevel.of(" avx512 ")).isEqualTo(KernelLevel.AVX512);
        assertThat(KernelLevel.of("4")).isEqualTo(KernelLevel.AMX);
        for (KernelLevel l : KernelLevel.values()) assertThat(KernelLevel.of(l.id())).isEqualTo(l);
        assertThatThrownBy(() -> KernelLevel.of("sse4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'sse4' is not a kernel level").hasMessageContaining("avx2, avx-vnni, avx512, amx, neon, neon-dotprod, neon-i8mm");
        assertThat(KernelLevel.of("neon-dotprod")).isEqualTo(KernelLevel.NEON_DOTPROD);
        assertThat(KernelLevel.of("5")).isEqualTo(KernelLevel.NEON);
        assertThat(KernelLevel.of("NEON-I8MM")).isEqualTo(KernelLevel.NEON_I8MM);
        assertThat(KernelLevel.of("7")).isEqualTo(KernelLevel.NEON_I8MM);
        assertThat(KernelLevel.highest()).isEqualTo(KernelLevel.NEON_I8MM);
        assertThatThrownBy(() -> KernelLevel.of("8")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KernelLevel.of("0")).isInstanceOf(IllegalArgumentException.class);
    }
}
