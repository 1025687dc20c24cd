package org.gptq4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelLevel;
import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.kernel.Kernels;
import org.gptq4j.kernel.NativeKernels;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code bench --concurrency} and {@code --kernel-level}: the options' parsing, the JSON shape and the text table, on the tiny fixture (no timings asserted). */
class BenchCommandTest {
    private static final String TINY = Fixtures.model(Fixtures.TINY, "main").toString();

    @Test
    void concurrencySweepAddsOneEntryPerCountToTheJson() throws IOException {
        Gptq4jCliTest.Run run = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "0",
                "--gen-tokens", "4", "--bandwidth-mib", "0", "--concurrency", "1,2,4", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        JsonNode sweep = json.get("concurrency");
        assertThat(sweep.size()).isEqualTo(3);
        int[] expected = {1, 2, 4};
        for (int i = 0; i < 3; i++) {
            assertThat(sweep.get(i).get("sequences").asInt()).isEqualTo(expected[i]);
            assertThat(sweep.get(i).get("aggregate_decode_tps").isNumber()).isTrue();
            assertThat(sweep.get(i).get("aggregate_decode_tps").asDouble()).isPositive();
        }
    }

    @Test
    void withoutTheOptionTheConcurrencyArrayIsEmpty() throws IOException {
        Gptq4jCliTest.Run run = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "8",
                "--gen-tokens", "4", "--bandwidth-mib", "0", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("concurrency").isArray()).isTrue();
        assertThat(json.get("concurrency").size()).isZero();
    }

    @Test
    void textOutputPrintsTheTableWithRatiosToOneSequence() {
        Gptq4jCliTest.Run run = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "0",
                "--gen-tokens", "4", "--bandwidth-mib", "0", "--concurrency", "1,2");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("aggregate decode t/s").contains("ratio to 1").containsPattern("(?m)^\\s+1\\s+[0-9.]+\\s+1\\.00x$")
                .containsPattern("(?m)^\\s+2\\s+[0-9.]+\\s+[0-9.]+x$");
    }

    @Test
    void kernelLevelRunsTheNativeKernelsAtThatLevelAndTheJsonSaysWhichOnWhatCpu() throws IOException {
        assumeTrue(KernelOptions.fromSystemProperties().backend() == KernelBackend.NATIVE, NativeKernels.status());
        KernelLevel top = Kernels.of(KernelOptions.fromSystemProperties()).level().orElseThrow();
        Gptq4jCliTest.Run run = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "8",
                "--gen-tokens", "2", "--bandwidth-mib", "0", "--kernel-level", "avx2", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("kernel_level").asText()).isEqualTo("avx2");
        assertThat(json.get("kernels").asText()).as("what ran, not the CPU's best level").startsWith("native AVX2/FMA kernels from /native/");
        assertThat(json.get("cpu").asText()).isEqualTo(BenchCommand.cpuModel()).isNotBlank();

        Gptq4jCliTest.Run plain = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "0",
                "--gen-tokens", "2", "--bandwidth-mib", "0", "--json");
        assertThat(new ObjectMapper().readTree(plain.out()).get("kernel_level").asText()).as("the level is the run's, not the process's")
                .isEqualTo(top.id());
    }

    @Test
    void depthPrefillsContextFirstAndTheKvPrecisionIsTheKernelsOrTheOneAskedFor() throws IOException {
        Gptq4jCliTest.Run run = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "8",
                "--gen-tokens", "3", "--bandwidth-mib", "0", "--depth", "40", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("depth").asInt()).isEqualTo(40);
        String own = Kernels.of(KernelOptions.fromSystemProperties()).kvPrecision().name().toLowerCase();
        assertThat(json.get("kv_precision").asText()).isEqualTo(own);
        assertThat(json.get("decode_tps").asDouble()).isPositive();

        Gptq4jCliTest.Run f32 = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "0",
                "--gen-tokens", "2", "--bandwidth-mib", "0", "--depth", "600", "--kv-precision", "f32", "--json");
        assertThat(f32.exitCode()).as(f32.err()).isZero();
        JsonNode j32 = new ObjectMapper().readTree(f32.out());
        assertThat(j32.get("kv_precision").asText()).isEqualTo("f32");
        assertThat(j32.get("kv_cache_bytes").asLong()).as("room for the depth (two passes of prefill) and the test")
                .isGreaterThanOrEqualTo(2L * 2 * 602 * 4);

        Gptq4jCliTest.Run text = Gptq4jCliTest.run("bench", "--model", TINY, "--threads", "1", "--prompt-tokens", "0",
                "--gen-tokens", "2", "--bandwidth-mib", "0", "--depth", "16");
        assertThat(text.out()).contains("tg2 @ d16");
    }

    @Test
    void depthAndKvPrecisionOutsideTheirRangesAreRefused() {
        assertThat(Gptq4jCliTest.run("bench", "--model", TINY, "--depth", "-1").err()).contains("--depth must be >= 0");
        assertThat(Gptq4jCliTest.run("bench", "--model", TINY, "--kv-precision", "int4").err()).contains("--kv-precision: f32 or f16, not int4");
    }

    @Test
    void kernelLevelsThatAreUnknownOrMissingFromThisCpuAreRefused() {
        Gptq4jCliTest.Run run = Gptq4jCliTest.run("bench", "--model", TINY, "--kernel-level", "sse4");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("--kernel-level: 'sse4' is not a kernel level: one of avx2, avx-vnni, avx512, amx");
        assumeTrue(KernelOptions.fromSystemProperties().backend() == KernelBackend.NATIVE, NativeKernels.status());
        for (KernelLevel l : KernelLevel.values()) {
            if (NativeKernels.levels().contains(l)) continue;
            Gptq4jCliTest.Run missing = Gptq4jCliTest.run("bench", "--model", TINY, "--kernel-level", l.id());
            assertThat(missing.exitCode()).isNotZero();
            assertThat(missing.err()).contains("--kernel-level " + l.id() + ": this CPU does not run the " + l.id() + " kernels");
        }
    }

    @Test
    void invalidCountsAreRefused() {
        assertThat(Gptq4jCliTest.run("bench", "--model", TINY, "--concurrency", "0,2").exitCode()).isNotZero();
        assertThat(Gptq4jCliTest.run("bench", "--model", TINY, "--gen-tokens", "1", "--concurrency", "2").exitCode()).isNotZero();
    }
}
