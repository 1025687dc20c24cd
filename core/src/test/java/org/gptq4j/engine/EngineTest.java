package org.gptq4j.engine;

import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The public façade over stories260K: streaming, stop handling, batching equals solo, prefix hits, cancellation. */
class EngineTest {
    static Engine engine;

    @BeforeAll
    static void start() {
        engine = Engine.builder().modelPath(Fixtures.model(Fixtures.STORIES, "main")).threads(1)
                .kvCacheBlocks(64).blockSize(16)
                .limits(EngineLimits.builder().maxConcurrentSequences(8).maxBatchPrefillTokens(64).build())
                .build();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    /** Collects what a listener receives. */
    static class Collector implements GenerationListener {
        final StringBuilder text = new StringBuilder();
        final List<Integer> tokens = new ArrayList<>();
        final CountDownLatch firstToken = new CountDownLatch(1);
        volatile GenerationResult result;
        volatile Throwable error;

        @Override
        public void onToken(int tokenId, String textDelta) {
            tokens.add(tokenId);
            text.append(textDelta);
            firstToken.countDown();
        }

        @Override
        public void onComplete(GenerationResult result) {
            this.result = result;
        }

        @Override
        public void onError(Throwable error) {
            this.error = error;
        }
    }

    static SamplingParameters greedy(int maxNewTokens) {
        return SamplingParameters.greedy().toBuilder().maxNewTokens(maxNewTokens).build();
    }

    @Test
    void greedyGenerationStreamsTheReferenceStory() throws Exception {
        Collector c = new Collector();
        GenerationResult r = engine.submit(GenerationRequest.of(new int[]{1}, greedy(30)), c).result().get(30, TimeUnit.SECONDS);
        assertThat(r.text()).startsWith("Once upon a time, there was a little girl named Lily.");
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.generatedTokenCount()).isEqualTo(30);
        assertThat(c.text.toString()).as("streamed deltas").isEqualTo(r.text());
        assertThat(c.tokens).containsExactlyElementsOf(IntStream.of(r.tokenIds()).boxed().toList());
        assertThat(c.result).isSameAs(r);
        assertThat(r.text()).isEqualTo(engine.tokenizer().decode(r.tokenIds()));
        assertThat(r.timings().timeToFirstToken()).isPositive();
        assertThat(r.timings().meanInterTokenLatency()).isPositive();
    }

    @Test
    void aStopSequenceEndsTheGenerationAndIsNotEmitted() {
        GenerationResult r = engine.generate(GenerationRequest.of(new int[]{1},
                greedy(40).toBuilder().stopSequences("Lily").build()));
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP_SEQUENCE);
        assertThat(r.stopSequence()).isEqualTo("Lily");
        assertThat(r.text()).isEqualTo("Once upon a time, there was a little girl named ");
    }

    @Test
    void aStopTokenEndsTheGenerationWithoutItsText() {
        GenerationResult reference = engine.generate(GenerationRequest.of(new int[]{1}, greedy(10)));
        int fifth = reference.tokenIds()[4];
        GenerationResult r = engine.generate(GenerationRequest.of(new int[]{1}, greedy(10).toBuilder().stopTokenIds(fifth).build()));
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(r.tokenIds()).hasSize(5).endsWith(fifth);
        assertThat(r.text()).isEqualTo(engine.tokenizer().decode(java.util.Arrays.copyOf(reference.tokenIds(), 4)));
    }

    /**
     * Greedy with a repetition penalty (each sequence's own token history matters). Sampled (temperature > 0)
     * runs are compared within one batch only: VectorMath.dot's lane reduction gives different float bits before
     * and after the JIT compiles it, so a sampled token near a probability boundary can differ between two runs
     * of the same request at different times, batched or not.
     */
    @Test
    void eightConcurrentGreedyRequestsEqualTheirSoloRuns() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        String[] starts = {"Once upon a time", "The dog", "Tom and Sam", "She saw a big", "One day", "The sun was", "Lily liked", "A bird"};
        for (int i = 0; i < 8; i++) {
            int[] text = engine.tokenizer().encode(starts[i]);
            int[] prompt = IntStream.concat(IntStream.of(1), IntStream.of(text)).toArray();
            requests.add(new GenerationRequest(prompt, SamplingParameters.greedy().toBuilder()
                    .repetitionPenalty(1.3).maxNewTokens(24).build(), true));
        }
        List<GenerationHandle> handles = new ArrayList<>();
        for (GenerationRequest r : requests) handles.add(engine.submit(r, GenerationListener.NONE));
        List<GenerationResult> batched = new ArrayList<>();
        for (GenerationHandle h : handles) batched.add(h.result().get(60, TimeUnit.SECONDS));
        for (int i = 0; i < 8; i++) {
            GenerationResult solo = engine.generate(requests.get(i));
            assertThat(batched.get(i).tokenIds()).as("request %d", i).containsExactly(solo.tokenIds());
            assertThat(batched.get(i).text()).isEqualTo(solo.text());
        }
    }

    @Test
    void seededSamplingIsPerRequestInsideABatch() throws Exception {
        SamplingParameters sampled = SamplingParameters.modelCardDefaults().toBuilder().temperature(1.0).maxNewTokens(24).build();
        List<GenerationHandle> handles = new ArrayList<>();
        for (long seed : new long[]{7, 7, 8, 7}) {
            handles.add(engine.submit(new GenerationRequest(new int[]{1}, sampled.toBuilder().seed(seed).build(), true), GenerationListener.NONE));
        }
        int[][] out = new int[4][];
        for (int i = 0; i < 4; i++) out[i] = handles.get(i).result().get(60, TimeUnit.SECONDS).tokenIds();
        assertThat(out[1]).as("same seed, same batch").containsExactly(out[0]);
        assertThat(out[3]).as("same seed, same batch").containsExactly(out[0]);
        assertThat(out[2]).as("another seed").isNotEqualTo(out[0]);
    }

    @Test
    void aRepeatedPromptReusesCachedBlocksAndTheHitRateIsReported() {
        int[] prompt = IntStream.concat(IntStream.of(1), IntStream.of(engine.tokenizer().encode(
                "Once upon a time, there was a big red ball in the garden. The ball was very happy and liked to roll"))).toArray();
        assertThat(prompt.length).isGreaterThan(32);
        GenerationResult cold = engine.generate(GenerationRequest.of(prompt, greedy(8)));
        GenerationResult warm = engine.generate(GenerationRequest.of(prompt, greedy(8)));
        assertThat(warm.cachedPromptTokenCount()).isEqualTo((prompt.length - 1) / 16 * 16);
        assertThat(warm.tokenIds()).containsExactly(cold.tokenIds());
        assertThat(engine.metrics().prefixCacheHitRate()).isGreaterThan(0);
        assertThat(engine.metrics().kvBlocksCached()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void cancellingStopsTheGenerationAndFreesItsBlocks() throws Exception {
        Collector c = new Collector();
        GenerationHandle h = engine.submit(new GenerationRequest(new int[]{1}, greedy(400), true), c);
        assertThat(c.firstToken.await(30, TimeUnit.SECONDS)).isTrue();
        h.cancel();
        GenerationResult r = h.result().get(30, TimeUnit.SECONDS);
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.generatedTokenCount()).isLessThan(400);
        assertThat(c.result).isSameAs(r);
        awaitIdle();
        assertThat(engine.metrics().kvBlocksUsed()).isZero();
    }

    @Test
    void aThrowingListenerFailsOnlyItsOwnRequest() throws Exception {
        IllegalStateException boom = new IllegalStateException("listener bug");
        Collector failing = new Collector() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                super.onToken(tokenId, textDelta);
                if (tokens.size() == 3) throw boom;
            }
        };
        Collector fine = new Collector();
        GenerationHandle bad = engine.submit(GenerationRequest.of(new int[]{1}, greedy(20)), failing);
        GenerationHandle good = engine.submit(GenerationRequest.of(new int[]{1}, greedy(20)), fine);
        assertThatThrownBy(() -> bad.result().get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).hasCause(boom);
        assertThat(failing.error).isSameAs(boom);
        GenerationResult r = good.result().get(30, TimeUnit.SECONDS);
        assertThat(r.text()).startsWith("Once upon a time, there was a little girl named Lily.");
        assertThat(fine.error).isNull();
    }

    @Test
    void metricsCountRequestsAndTokens() {
        EngineMetrics before = engine.metrics();
        engine.generate(GenerationRequest.of(new int[]{1, 403}, greedy(5)));
        awaitIdle();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // Counters reach the published snapshot at different moments of the final step: wait for all of them.
        while ((engine.metrics().requestsCompleted() == before.requestsCompleted()
                || engine.metrics().generatedTokens() < before.generatedTokens() + 5
                || engine.metrics().promptTokens() < before.promptTokens() + 2) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        EngineMetrics after = engine.metrics();
        assertThat(after.requestsCompleted()).as("published after the step that ended it").isGreaterThan(before.requestsCompleted());
        assertThat(after.generatedTokens()).isGreaterThanOrEqualTo(before.generatedTokens() + 5);
        assertThat(after.promptTokens()).isGreaterThanOrEqualTo(before.promptTokens() + 2);
        assertThat(after.kvBlocksTotal()).isEqualTo(64);
        assertThat(after.meanTimeToFirstToken()).isPositive();
    }

    /** Waits until the engine thread published a snapshot with nothing running. */
    static void awaitIdle() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (engine.metrics().runningSequences() > 0 || engine.metrics().kvBlocksUsed() > 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("engine did not go idle: " + engine.metrics());
            Thread.onSpinWait();
        }
    }
}
