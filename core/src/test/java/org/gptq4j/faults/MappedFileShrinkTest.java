package org.gptq4j.faults;

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
 * A weight file that shrinks while it is mapped (another process truncates or rewrites it in place). Reading the
 * vanished pages raises SIGBUS; these tests run the read in a child JVM ({@link ShrinkProbe}) and pin down what
 * JDK 25 does with it, as documented in docs/reliability.md.
 */
class MappedFileShrinkTest {
    @TempDir
    Path dir;

    @Test
    void readingATruncatedMappingIsAnInternalErrorNotACrash() throws Exception {
        Path copy = Files.copy(Fixtures.model(Fixtures.TINY, "main").resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String outcome = probe("tensor", copy);
        assertThat(outcome).startsWith("OUTCOME java.lang.InternalError").contains("unsafe memory access");
    }

    @Test
    void anEngineWhoseWeightsShrinkFailsTheRequestAndSurvives() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("model"));
        try (var files = Files.list(Fixtures.model(Fixtures.TINY, "main"))) {
            for (Path f : files.toList()) Files.copy(f, folder.resolve(f.getFileName()));
        }
        String outcome = probe("engine", folder);
        assertThat(outcome).startsWith("OUTCOME ").doesNotStartWith("OUTCOME generated");
        assertThat(outcome).contains("InternalError");
    }

    /** Runs {@link ShrinkProbe} in a child JVM with this JVM's class path and returns its outcome line. */
    private static String probe(String mode, Path target) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + target.resolveSibling("hs_err_%p.log"),
                "-cp", System.getProperty("java.class.path"), ShrinkProbe.class.getName(), mode, target.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        System.out.println("[" + mode + "] exit " + p.exitValue() + "\n" + output);
        assertThat(p.exitValue()).as("the child JVM did not crash:\n%s", output).isZero();
        return output.lines().filter(l -> l.startsWith("OUTCOME")).findFirst().orElse("no outcome (crashed?)\n" + output);
    }
}
