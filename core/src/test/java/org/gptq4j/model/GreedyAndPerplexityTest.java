package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Greedy continuations and stories260K perplexity against the golden JSON files. */
class GreedyAndPerplexityTest {
    /** Below this reference margin between the two best logits, either token is a right answer (float32 path). */
    static final double MARGIN_TOLERANCE = 0.01;
    /** The same for int8-activation backends: the fixtures' quantized-activation tolerance. */
    static final double QUANTIZED_MARGIN_TOLERANCE = 0.05;

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
        return LlamaGoldenTest.branchesAndBackends();
    }

    static Stream<Arguments> storiesBranches() {
        return LlamaGoldenTest.backends().flatMap(k -> Stream.of("fp16", "main", "gptq-8bit--1g-actorder_True").map(b -> Arguments.of(b, k)));
    }

    static JsonNode json(java.nio.file.Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("branches")
    void greedyContinuationMatchesWhileTheMarginAllows(String repo, String branch, KernelBackend backend) {
        double tolerance = backend.int8Activations() ? QUANTIZED_MARGIN_TOLERANCE : MARGIN_TOLERANCE;
        JsonNode golden = json(Fixtures.golden(repo, branch, "json"));
        int[] prompt = ints(golden.get("greedy_prompt"));
        int[] expected = ints(golden.get("greedy_tokens"));
        double[] margins = new double[expected.length];
        for (int i = 0; i < margins.length; i++) margins[i] = golden.get("greedy_top2_margins").get(i).asDouble();

        try (LlamaModel model = LlamaModel.load(Fixtures.model(repo, branch), backend);
             PagedKvCache cache = model.newKvCache(16, 16)) {
            KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
            BlockTable table = new BlockTable();
            blocks.reserve(table, prompt.length);
            float[] logits = model.forward(ForwardBatch.prefill(prompt, 0, table, false), cache, pool);
            int compared = 0;
            for (int i = 0; i < expected.length; i++) {
                int next = argmax(logits);
                if (margins[i] < tolerance) break; // a near tie: from here on either path is right
                assertThat(next).as("%s/%s greedy token %d (margin %.4f)", repo, branch, i, margins[i]).isEqualTo(expected[i]);
                compared++;
                int pos = prompt.length + i;
                blocks.reserve(table, pos + 1);
                logits = model.forward(ForwardBatch.prefill(new int[]{next}, pos, table, false), cache, pool);
            }
            // a first step below the tolerance is a near tie already: nothing is comparable then
            if (margins[0] >= tolerance) assertThat(compared).as("greedy tokens compared").isGreaterThan(0);
        }
    }

    @ParameterizedTest(name = "stories260K {0} {1}")
    @MethodSource("storiesBranches")
    void storiesPerplexityWithinOnePercent(String branch, KernelBackend backend) {
        JsonNode golden = json(Fixtures.root().resolve("golden/stories260K-gptq/perplexity.json"));
        double reference = golden.get("by_branch").get(branch).asDouble();
        try (LlamaModel model = LlamaModel.load(Fixtures.model(Fixtures.STORIES, branch), backend);
             PagedKvCache cache = model.newKvCache(16, 16)) {
            KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
            double nll = 0;
            long count = 0;
            int vocab = model.config().vocabSize();
            for (JsonNode seq : golden.get("eval_sequences")) {
                int[] ids = ints(seq);
                BlockTable table = new BlockTable();
                blocks.reserve(table, ids.length);
                float[] logits = model.forward(ForwardBatch.prefill(ids, 0, table, true), cache, pool);
                for (int p = 0; p + 1 < ids.length; p++) {
                    nll -= logSoftmax(logits, p * vocab, vocab, ids[p + 1]);
                    count++;
                }
                blocks.free(table);
            }
            double perplexity = Math.exp(nll / count);
            assertThat(perplexity).isCloseTo(reference, within(reference * 0.01));
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static double logSoftmax(float[] logits, int offset, int n, int index) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(logits[offset + i] - max);
        return logits[offset + index] - max - Math.log(sum);
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

}
