package org.gptq4j.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A fresh JVM of this JDK ({@code java.home}) given exactly the arguments asked for: none of the test JVM's flags (the
 * build's {@code --add-modules jdk.incubator.vector}, native access) and none from the environment
 * ({@code JDK_JAVA_OPTIONS}, {@code JAVA_TOOL_OPTIONS}).
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** Runs {@code java ARGS}, expects exit status 0 within 60 s, and returns its stdout and stderr together. */
    public static String run(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = builder.start();
        String output;
        try (var in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).as(output).isZero();
        return output;
    }
}
