package org.gptq4j.model;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.NativeKernels;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every branch of every fixture repo, prefill and token-by-token decode, against transformers' float32 logits, through
 * every kernel backend: the float32 backend within the fixtures' float32 tolerance, the int8-activation backends
 * (native, Java) within their quantized-activation tolerance.
 */
public class LlamaGoldenTest {
    private static ComputePool pool;

    @BeforeAll
    static void startPool() {
        pool = new ComputePool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    static Stream<Arguments> branches() {
        return Stream.concat(
                Arrays.stream(Fixtures.TINY_BRANCHES).map(b -> Arguments.of(Fixtures.TINY, b)),
                Arrays.stream(Fixtures.STORIES_BRANCHES).map(b -> Arguments.of(Fixtures.STORIES, b)));
    }

    /** The backends that can run here (native only where its library loaded). */
    static Stream<KernelBackend> backends() {
        return Arrays.stream(KernelBackend.values()).filter(b -> b != KernelBackend.NATIVE || NativeKernels.available());
    }

    static Stream<Arguments> branchesAndBackends() {
        return backends().flatMap(k -> branches().map(a -> Arguments.of(a.get()[0], a.get()[1], k)));
    }

    @ParameterizedTest(name = "{0} {1} prefill {2}")
    @MethodSource("branchesAndBackends")
    void prefillMatchesReference(String repo, String branch, KernelBackend backend) {
        try (LlamaModel model = LlamaModel.load(Fixtures.model(repo, branch), backend);
             PagedKvCache cache = model.newKvCache(16, 64)) {
            KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
            for (GoldenLogits golden : GoldenLogits.read(repo, branch)) {
                int last = Arrays.stream(golden.positions()).max().orElseThrow();
                int[] prompt = Arrays.copyOf(golden.ids(), last + 1);
                BlockTable table = new BlockTable();
                blocks.reserve(table, prompt.length);
                float[] logits = model.forward(ForwardBatch.prefill(prompt, 0, table, true), cache, pool);
                int vocab = model.config().vocabSize();
                for (int i = 0; i < golden.positions().length; i++) {
                    int p = golden.positions()[i];
                    assertClose(backend, Arrays.copyOfRange(logits, p * vocab, (p + 1) * vocab), golden.logits()[i], golden.name() + " position " + p);
                }
                blocks.free(table);
            }
            assertThat(blocks.freeBlocks()).isEqualTo(64);
        }
    }

    @ParameterizedTest(name = "{0} {1} decode {2}")
    @MethodSource("branchesAndBackends")
    void decodeThroughKvCacheMatchesReference(String repo, String branch, KernelBackend backend) {
        try (LlamaModel model = LlamaModel.load(Fixtures.model(repo, branch), backend);
             PagedKvCache cache = model.newKvCache(16, 64)) {
            KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
            for (GoldenLogits golden : GoldenLogits.read(repo, branch)) {
                int last = Arrays.stream(golden.positions()).max().orElseThrow();
                BlockTable table = new BlockTable();
                int next = 0;
                for (int p = 0; p <= last; p++) {
                    blocks.reserve(table, p + 1);
                    float[] logits = model.forward(ForwardBatch.prefill(new int[]{golden.ids()[p]}, p, table, true), cache, pool);
                    if (next < golden.positions().length && golden.positions()[next] == p) {
                        assertClose(backend, logits, golden.logits()[next], golden.name() + " decode position " + p);
                        next++;
                    }
                }
                assertThat(next).isEqualTo(golden.positions().length);
                blocks.free(table);
            }
        }
    }

    /** The tolerance of the backend: float32 for {@link KernelBackend#FLOAT}, quantized-activation for the others. */
    static void assertClose(KernelBackend backend, float[] actual, float[] expected, String where) {
        if (backend.int8Activations()) assertQuantizedClose(actual, expected, where + " (" + backend + ")");
        else assertClose(actual, expected, where);
    }

    /**
     * The fixtures' quantized-activation tolerance: cosine similarity >= 0.9995, and the same top token wherever the
     * reference's margin between its two best logits exceeds 0.05.
     */
    public static void assertQuantizedClose(float[] actual, float[] expected, String where) {
        assertThat(actual).hasSameSizeAs(expected);
        double dot = 0, na = 0, ne = 0;
        int top = 0, refTop = 0;
        for (int i = 0; i < expected.length; i++) {
            dot += (double) actual[i] * expected[i];
            na += (double) actual[i] * actual[i];
            ne += (double) expected[i] * expected[i];
            if (actual[i] > actual[top]) top = i;
            if (expected[i] > expected[refTop]) refTop = i;
        }
        double cosine = dot / Math.sqrt(na * ne);
        assertThat(cosine).as(where + ": cosine similarity of the logits").isGreaterThanOrEqualTo(0.9995);
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < expected.length; i++) if (i != refTop) second = Math.max(second, expected[i]);
        if (expected[refTop] - second > 0.05) assertThat(top).as(where + ": top token (reference margin %.3f)", expected[refTop] - second).isEqualTo(refTop);
    }

    /** |ours - ref| <= 1e-3 + 1e-3 |ref|, the fixtures' float32 tolerance. */
    static void assertClose(float[] actual, float[] expected, String where) {
        assertThat(actual).hasSameSizeAs(expected);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double excess = Math.abs(actual[i] - expected[i]) - (1e-3 + 1e-3 * Math.abs(expected[i]));
            if (excess > worst) {
                worst = excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0) {
            throw new AssertionError(where + ": logit " + worstAt + " is " + actual[worstAt] + ", reference "
                    + expected[worstAt] + " (outside 1e-3 + 1e-3*|ref|)");
        }
    }
}
