package org.gptq4j.engine;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelLevel;
import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.kernel.NativeKernels;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaModel;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kernel options are the engine's own, not the JVM's: engines with different backends, native levels and threads run
 * side by side in one JVM, each on its own kernels, each giving the greedy tokens of its backend computed alone.
 */
class EngineOptionsTest {
    private static final Path MODEL = Fixtures.model(Fixtures.STORIES, "gptq-8bit--1g-actorder_True");
    private static final int[] PROMPT = {1, 403, 407, 261, 59};
    private static final int NEW_TOKENS = 12;

    @Test
    void enginesWithDifferentOptionsRunSideBySideEachOnItsOwnKernels() {
        Map<String, KernelOptions> options = new LinkedHashMap<>();
        options.put("float, 1 thread", KernelOptions.builder().backend(KernelBackend.FLOAT).threads(1).packCacheOff().build());
        options.put("java, 2 threads", KernelOptions.builder().backend(KernelBackend.JAVA).threads(2).packCacheOff().build());
        if (NativeKernels.available()) {
            options.put("native avx2, 3 threads", KernelOptions.builder().backend(KernelBackend.NATIVE)
                    .nativeLevel(KernelLevel.AVX2).threads(3).packCacheOff().build());
            options.put("native top level, 1 thread", KernelOptions.builder().backend(KernelBackend.NATIVE).threads(1).packCacheOff().build());
        }
        List<Engine> engines = new ArrayList<>();
        try {
            for (KernelOptions o : options.values()) {
                engines.add(Engine.builder().modelPath(MODEL).kernelOptions(o).kvCacheBlocks(16).blockSize(16).build());
            }
            // every engine is built before any runs: a JVM-wide setting would now be the last engine's
            int i = 0;
            for (Map.Entry<String, KernelOptions> e : options.entrySet()) {
                Engine engine = engines.get(i++);
                KernelOptions o = e.getValue();
                assertThat(engine.kernelOptions()).as(e.getKey()).isEqualTo(o);
                assertThat(engine.llama().kernels().backend()).as(e.getKey()).isEqualTo(o.backend());
                if (o.backend() == KernelBackend.NATIVE) {
                    KernelLevel expected = KernelLevel.AVX2;
                    for (KernelLevel l : NativeKernels.levels()) if (l.compareTo(o.nativeLevel()) <= 0) expected = l;
                    assertThat(engine.llama().kernels().level()).as(e.getKey()).contains(expected);
                } else {
                    assertThat(engine.llama().kernels().level()).as(e.getKey()).isEqualTo(Optional.empty());
                }
                int[] tokens = engine.generate(new GenerationRequest(PROMPT, greedy(), true)).tokenIds();
                assertThat(tokens).as(e.getKey()).containsExactly(alone(o));
            }
        } finally {
            engines.forEach(Engine::close);
        }
    }

    /** The builder's own threads and backend override those of its options. */
    @Test
    void threadsAndBackendOfTheBuilderOverrideItsOptions() {
        KernelOptions base = KernelOptions.builder().backend(KernelBackend.JAVA).threads(2).packCacheOff().build();
        try (Engine engine = Engine.builder().modelPath(MODEL).kernelOptions(base).threads(1).kernelBackend(KernelBackend.FLOAT)
                .kvCacheBlocks(16).build()) {
            assertThat(engine.kernelOptions()).isEqualTo(base.toBuilder().threads(1).backend(KernelBackend.FLOAT).build());
            assertThat(engine.llama().kernels().backend()).isEqualTo(KernelBackend.FLOAT);
        }
    }

    private static SamplingParameters greedy() {
        return SamplingParameters.greedy().toBuilder().maxNewTokens(NEW_TOKENS).build();
    }

    /** The greedy continuation of {@link #PROMPT} by the model loaded alone with {@code options}, one token at a time. */
    private static int[] alone(KernelOptions options) {
        try (LlamaModel model = LlamaModel.load(MODEL, options); ComputePool pool = new ComputePool(options.threads());
             PagedKvCache cache = model.newKvCache(16, 2)) {
            KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
            BlockTable table = new BlockTable();
            blocks.reserve(table, PROMPT.length + NEW_TOKENS);
            int[] out = new int[NEW_TOKENS];
            float[] logits = model.forward(ForwardBatch.prefill(PROMPT, 0, table, false), cache, pool);
            for (int i = 0; i < NEW_TOKENS; i++) {
                out[i] = argmax(logits);
                if (i + 1 < NEW_TOKENS) logits = model.forward(ForwardBatch.prefill(new int[]{out[i]}, PROMPT.length + i, table, false), cache, pool);
            }
            return out;
        }
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
