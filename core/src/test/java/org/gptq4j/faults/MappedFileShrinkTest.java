package org.gptq4j.faults;

import org.gptq4j.io.CheckpointCopy;
import org.gptq4j.io.SafetensorsFile;
import org.gptq4j.io.Tensor;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A weight file (or repack cache file) that shrinks under a loaded model: another process truncates or rewrites it in
 * place. Reading vanished pages of a mapping raises SIGBUS: a Java read turns it into {@link InternalError}, native
 * code crashes the JVM. These tests run in a child JVM ({@link ShrinkProbe}) so a crash cannot take the build down:
 * the JDK's behaviour for a Java read is pinned down, and a loaded model is shown to read no mapping at all (it owns
 * copies of everything, and the weight files are unmapped at the end of the load), as docs/reliability.md says.
 */
class MappedFileShrinkTest {
    @TempDir
    Path dir;

    @Test
    void readingATruncatedMappingIsAnInternalErrorNotACrash() throws Exception {
        Path copy = Files.copy(Fixtures.model(Fixtures.TINY, "main").resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String outcome = probe(copy, "tensor");
        assertThat(outcome).startsWith("OUTCOME java.lang.InternalError").contains("unsafe memory access");
    }

    @Test
    void anEngineWhoseWeightsShrinkKeepsGenerating() throws Exception {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        assertThat(probe(folder, "engine")).isEqualTo("OUTCOME generated 4");
    }

    /**
     * stories260K has tied embeddings: the lm_head is the F16 embedding matrix, run by the native F16 kernel. Cut at 90%
     * of that matrix, the prompt's embedding rows were still readable and the kernel then died of SIGBUS
     * ({@code f16gemm_avx2}) with the JVM. Now the model owns a copy.
     */
    @Test
    void aModelWhoseTiedEmbeddingsShrinkComputesTheSameLogits() throws Exception {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.STORIES, "main"), dir);
        Path weights = folder.resolve("model.safetensors");
        long begin, end;
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            Tensor e = file.tensors().get("model.embed_tokens.weight");
            begin = e.data().address() - file.tensors().values().stream().mapToLong(t -> t.data().address()).min().orElseThrow();
            end = begin + e.data().byteSize();
        }
        long cut = ShrinkProbe.headerEnd(weights) + begin + (end - begin) * 9 / 10;
        assertThat(probe(folder, "model", String.valueOf(cut))).isEqualTo("OUTCOME same");
    }

    /** The repack cache was mapped and read in place by the native kernels: truncating it crashed the JVM (SIGSEGV/SIGBUS). */
    @Test
    void aModelWhoseRepackCacheShrinksComputesTheSameLogits() throws Exception {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "gptq-4bit-32g-actorder_True"), dir);
        Path cache = Files.createDirectories(dir.resolve("cache"));
        String uncut = String.valueOf(Files.size(folder.resolve("model.safetensors")));
        assertThat(probe(folder, "model", uncut, cache.toString())).isEqualTo("OUTCOME same");
    }

    @Test
    void aModelWhoseWeightsAndRepackCacheShrinkComputesTheSameLogits() throws Exception {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "gptq-4bit-32g-actorder_True"), dir);
        Path cache = Files.createDirectories(dir.resolve("cache"));
        assertThat(probe(folder, "model", "4096", cache.toString())).isEqualTo("OUTCOME same");
    }

    /** Runs {@link ShrinkProbe} in a child JVM with this JVM's class path and returns its outcome line. */
    private static String probe(Path target, String mode, String... more) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + target.resolveSibling("hs_err_%p.log"),
                "-cp", System.getProperty("java.class.path"), ShrinkProbe.class.getName(), mode, target.toString()));
        command.addAll(List.of(more));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.println("[" + mode + "] exit " + p.exitValue() + "\n" + output);
        assertThat(p.exitValue()).as("the child JVM did not crash:\n%s", output).isZero();
        return output.lines().filter(l -> l.startsWith("OUTCOME")).findFirst().orElse("no outcome (crashed?)\n" + output);
    }
}
