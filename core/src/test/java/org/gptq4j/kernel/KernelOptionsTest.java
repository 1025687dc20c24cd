package org.gptq4j.kernel;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The defaults in one place, and the {@code -Dgptq4j.*} switches read only where asked for. */
class KernelOptionsTest {

    private static Properties props(String... pairs) {
        Properties p = new Properties();
        for (int i = 0; i < pairs.length; i += 2) p.setProperty(pairs[i], pairs[i + 1]);
        return p;
    }

    @Test
    void defaultsAreTheFastestBackendTheHighestLevelOneThreadPerCoreAndTheHomeCache() {
        KernelOptions d = KernelOptions.defaults();
        assertThat(d.backend()).isEqualTo(NativeKernels.available() ? KernelBackend.NATIVE : KernelBackend.JAVA);
        assertThat(d.nativeLevel()).isEqualTo(KernelLevel.highest());
        assertThat(d.threads()).isEqualTo(ComputePool.defaultThreads());
        assertThat(d.packCacheDir()).contains(Path.of(System.getProperty("user.home"), ".cache", "gptq4j"));
        assertThat(d.packCacheMinBytes()).isEqualTo(256L << 20);
        assertThat(KernelOptions.fromProperties(new Properties())).isEqualTo(d);
    }

    @Test
    void thePropertiesKeepTheirNamesAndMeanings() {
        KernelOptions o = KernelOptions.fromProperties(props("gptq4j.kernel", "float", "gptq4j.native.level", "avx2",
                "gptq4j.threads", "3", "gptq4j.cache", "/tmp/packs", "gptq4j.cache.minBytes", "0"));
        assertThat(o).isEqualTo(new KernelOptions(KernelBackend.FLOAT, KernelLevel.AVX2, 3, Optional.of(Path.of("/tmp/packs")), 0));
        assertThat(KernelOptions.fromProperties(props("gptq4j.cache", "OFF")).packCacheDir()).isEmpty();
        assertThat(KernelOptions.fromProperties(props("gptq4j.kernel", " Auto ")).backend()).isEqualTo(KernelOptions.defaults().backend());
        assertThat(KernelOptions.fromProperties(props("gptq4j.native.level", "fast")).nativeLevel()).as("ignored").isEqualTo(KernelLevel.highest());
    }

    @Test
    void badPropertiesAreRefusedNamingTheProperty() {
        assertThatThrownBy(() -> KernelOptions.fromProperties(props("gptq4j.kernel", "gpu")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("-Dgptq4j.kernel=gpu is not one of native, java, float, auto");
        assertThatThrownBy(() -> KernelOptions.fromProperties(props("gptq4j.threads", "many")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-Dgptq4j.threads must be a whole number");
        assertThatThrownBy(() -> KernelOptions.fromProperties(props("gptq4j.cache.minBytes", "1 GB")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-Dgptq4j.cache.minBytes must be a whole number of bytes");
        assertThatThrownBy(() -> KernelOptions.builder().threads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads must be between 1 and");
    }

    @Test
    void toBuilderRoundTripsAndTheKernelsFollowTheOptions() {
        KernelOptions o = KernelOptions.builder().backend(KernelBackend.JAVA).threads(2).packCacheOff().packCacheMinBytes(7).build();
        assertThat(o.toBuilder().build()).isEqualTo(o);
        assertThat(Kernels.of(o).backend()).isEqualTo(KernelBackend.JAVA);
        assertThat(Kernels.of(o.toBuilder().backend(KernelBackend.FLOAT).build()).int8Activations()).isFalse();
        assertThat(Kernels.of(o.toBuilder().backend(KernelBackend.NATIVE).build()).backend())
                .as("native, or its fallback").isEqualTo(KernelBackend.NATIVE.orFallback());
    }
}
