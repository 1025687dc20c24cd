package org.gptq4j.modulepath;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import org.gptq4j.engine.Engine;
import org.gptq4j.kernel.NativeKernels;
import org.gptq4j.testing.ChildJvm;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * core as the named module {@code org.gptq4j.core} on the module path (its module-info: what it requires, its native
 * library found inside it, the optional Vector API): an application on the class path generates through the API on
 * the native kernels without the native-access warning when given {@code --enable-native-access=org.gptq4j.core};
 * the float kernels run once {@code jdk.incubator.vector} is added, and fail the build, naming the flag, without it.
 */
class ModulePathTest {
    private static final Path MODEL = Fixtures.model(Fixtures.TINY, "main");

    @Test
    void anApplicationGeneratesWithCoreOnTheModulePath(@TempDir Path tmp) throws Exception {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        String without = probe(tmp, "--add-modules", "org.gptq4j.core");
        assertThat(without).contains("engine in module org.gptq4j.core").contains("native generated 1")
                .contains("float build failed the float kernels need the Vector API").contains("--add-modules jdk.incubator.vector")
                .doesNotContain("WARNING: A restricted method");
        String with = probe(tmp, "--add-modules", "org.gptq4j.core,jdk.incubator.vector");
        assertThat(with).contains("native generated 1").contains("float generated 1");
    }

    /** {@link ModulePathProbe} with core and Jackson on the module path, the probe on the class path, and {@code flags}. */
    private static String probe(Path tmp, String... flags) throws Exception {
        String modulePath = Stream.of(Engine.class, JsonNode.class, JsonFactory.class, JsonProperty.class)
                .map(ModulePathTest::location).collect(Collectors.joining(File.pathSeparator));
        List<String> args = new ArrayList<>(List.of("-Djava.io.tmpdir=" + tmp, "-Dgptq4j.cache=off",
                "--enable-native-access=org.gptq4j.core", "--module-path", modulePath));
        args.addAll(List.of(flags));
        args.addAll(List.of("-cp", location(ModulePathProbe.class), ModulePathProbe.class.getName(), MODEL.toString()));
        return ChildJvm.run(args);
    }

    /** The jar or class folder {@code type} was loaded from. */
    private static String location(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
