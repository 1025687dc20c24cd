package org.gptq4j.engine;

import org.gptq4j.kernel.NativeKernels;
import org.gptq4j.testing.ChildJvm;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An application runs on a plain {@code java -cp ...} command line, without {@code --add-modules jdk.incubator.vector}
 * (which the build passes to every test JVM, and which no child here inherits): on the native kernels it generates
 * without loading a class of the Vector API; where the Vector API kernels are chosen, {@code Engine.build()} fails at
 * once, naming the flag.
 */
class PlainJavaCommandLineTest {
    private static final Path MODEL = Fixtures.model(Fixtures.TINY, "main");

    @Test
    void onTheNativeKernelsAnEngineGeneratesWithoutTheVectorApi(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        Path classLog = tmp.resolve("class-load.log");
        String output = probe(tmp, "-Xlog:class+load=info:file=" + classLog);
        assertThat(output).contains("vector module absent").contains("kernels native").contains("OUTCOME generated 1");
        String loaded = Files.readString(classLog);
        assertThat(loaded).as("the class-load log").contains("org.gptq4j.kernel.NativeInt8Kernels").doesNotContain("jdk.incubator.vector");
    }

    @Test
    void theJavaKernelsWithoutTheVectorApiFailTheBuildNamingTheFlag(@TempDir Path tmp) throws Exception {
        String output = probe(tmp, "-Dgptq4j.kernel=java");
        assertThat(output).contains("vector module absent")
                .contains("OUTCOME build failed java.lang.IllegalStateException: the java kernels need the Vector API")
                .contains("--add-modules jdk.incubator.vector")
                .doesNotContain("kernels java");
    }

    /** The output of {@link PlainJavaProbe} over {@link #MODEL} in a JVM given only {@code flags} (and this class path). */
    private static String probe(Path tmp, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("-Djava.io.tmpdir=" + tmp, "-Dgptq4j.cache=off"));
        args.addAll(List.of(flags));
        args.addAll(List.of("-cp", System.getProperty("java.class.path"), PlainJavaProbe.class.getName(), MODEL.toString()));
        return ChildJvm.run(args);
    }
}
