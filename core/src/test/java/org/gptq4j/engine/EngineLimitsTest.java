package org.gptq4j.engine;

import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Every limit's refusal, with its message, and closing with requests pending. */
class EngineLimitsTest {

    static Engine engine(EngineLimits limits, int kvBlocks) {
        return Engine.builder().modelPath(Fixtures.model(Fixtures.STORIES, "main")).threads(1)
                .blockSize(4).kvCacheBlocks(kvBlocks).limits(limits).build();
    }

    static GenerationRequest request(int promptLength, int maxNewTokens) {
        int[] prompt = new int[promptLength];
        java.util.Arrays.fill(prompt, 300);
        prompt[0] = 1;
        return new GenerationRequest(prompt, SamplingParameters.greedy().toBuilder().maxNewTokens(maxNewTokens).build(), true);
    }

    @Test
    void aPromptLongerThanMaxInputLengthIsRefused() {
        try (Engine e = engine(EngineLimits.builder().maxInputLength(8).build(), 64)) {
            RequestRejectedException r = catchThrowableOfType(RequestRejectedException.class, () -> e.submit(request(9, 1), GenerationListener.NONE));
            assertThat(r).hasMessage("max-input-length: the prompt has 9 tokens, max-input-length is 8");
            assertThat(r.limit()).isEqualTo(RequestRejectedException.Limit.MAX_INPUT_LENGTH);
            assertThat(r.requested()).isEqualTo(9);
            assertThat(r.allowed()).isEqualTo(8);
            assertThat(e.generate(request(8, 1)).generatedTokenCount()).isEqualTo(1);
            // Metrics are snapshots the engine thread publishes after each step: wait for the next one.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (e.metrics().requestsRejected() == 0 && System.nanoTime() < deadline) Thread.onSpinWait();
            assertThat(e.metrics().requestsRejected()).isEqualTo(1);
        }
    }

    @Test
    void promptPlusMaxNewTokensBeyondMaxTotalTokensIsRefused() {
        try (Engine e = engine(EngineLimits.builder().maxTotalTokens(32).build(), 64)) {
            assertThatThrownBy(() -> e.submit(request(4, 30), GenerationListener.NONE))
                    .isInstanceOf(RequestRejectedException.class)
                    .hasMessage("max-total-tokens: the prompt's 4 tokens + maxNewTokens 30 = 34 exceed max-total-tokens 32; "
                            + "lower maxNewTokens or shorten the prompt");
            assertThat(e.limits().maxInputLength()).as("derived").isEqualTo(31);
        }
    }

    @Test
    void aRequestLargerThanTheWholeKvCacheIsRefused() {
        try (Engine e = engine(EngineLimits.defaults(), 4)) {
            assertThatThrownBy(() -> e.submit(request(10, 10), GenerationListener.NONE))
                    .isInstanceOf(RequestRejectedException.class)
                    .hasMessage("kv-cache-blocks: 20 tokens need 5 KV blocks of 4 positions, the KV cache has 4 blocks "
                            + "(16 positions); raise kvCacheBytes or lower maxNewTokens");
            assertThat(e.generate(request(10, 6)).generatedTokenCount()).isEqualTo(6);
        }
    }

    @Test
    void aFullQueueRefusesAndAnOverdueRequestTimesOut() throws Exception {
        EngineLimits limits = EngineLimits.builder().maxConcurrentSequences(1).maxQueuedRequests(1)
                .queueTimeout(Duration.ofMillis(100)).build();
        try (Engine e = engine(limits, 256)) {
            CountDownLatch started = new CountDownLatch(1);
            GenerationHandle running = e.submit(request(2, 400), new GenerationListener() {
                @Override
                public void onToken(int tokenId, String textDelta) {
                    started.countDown();
                    sleep(2); // 400 tokens take well over the queue timeout
                }
            });
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            GenerationHandle waiting = e.submit(request(2, 4), GenerationListener.NONE);
            RequestRejectedException full = catchThrowableOfType(RequestRejectedException.class,
                    () -> e.submit(request(2, 4), GenerationListener.NONE));
            assertThat(full).hasMessage("max-queued-requests: 1 requests are already waiting, max-queued-requests is 1; retry later");
            assertThat(full.limit()).isEqualTo(RequestRejectedException.Limit.MAX_QUEUED_REQUESTS);

            ExecutionException timedOut = catchThrowableOfType(ExecutionException.class, () -> waiting.result().get(30, TimeUnit.SECONDS));
            RequestRejectedException cause = (RequestRejectedException) timedOut.getCause();
            assertThat(cause.limit()).isEqualTo(RequestRejectedException.Limit.QUEUE_TIMEOUT);
            assertThat(cause.getMessage()).matches("queue-timeout: waited \\d+ ms for admission, queue-timeout is 100 ms");
            assertThat(cause.requested()).isGreaterThanOrEqualTo(100);
            running.cancel();
            running.result().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void invalidLimitsAreRefusedWithTheirNames() {
        assertThatThrownBy(() -> EngineLimits.builder().maxBatchPrefillTokens(0).build())
                .hasMessage("maxBatchPrefillTokens must be >= 1, but was 0");
        assertThatThrownBy(() -> EngineLimits.builder().maxConcurrentSequences(0).build())
                .hasMessage("maxConcurrentSequences must be >= 1, but was 0");
        assertThatThrownBy(() -> EngineLimits.builder().maxQueuedRequests(-1).build())
                .hasMessage("maxQueuedRequests must be >= 0, but was -1");
        assertThatThrownBy(() -> EngineLimits.builder().queueTimeout(Duration.ZERO).build())
                .hasMessage("queueTimeout must be positive, but was PT0S");
        assertThatThrownBy(() -> EngineLimits.builder().maxInputLength(64).maxTotalTokens(64).build())
                .hasMessage("maxInputLength (64) must be less than maxTotalTokens (64): a request needs room for at least one new token");
        assertThatThrownBy(() -> engine(EngineLimits.builder().maxTotalTokens(1000).build(), 8))
                .hasMessage("maxTotalTokens (1000) exceeds the model's context of 512 positions (max_position_embeddings)");
    }

    @Test
    void closingFailsPendingRequestsAndRefusesNewOnes() throws Exception {
        Engine e = engine(EngineLimits.builder().maxConcurrentSequences(1).build(), 256);
        CountDownLatch started = new CountDownLatch(1);
        GenerationHandle running = e.submit(request(2, 400), new GenerationListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                started.countDown();
                sleep(1);
            }
        });
        GenerationHandle queued = e.submit(request(2, 4), GenerationListener.NONE);
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(e.isRunning()).isTrue();
        e.close();
        assertThat(e.isRunning()).isFalse();
        for (GenerationHandle h : new GenerationHandle[]{running, queued}) {
            assertThatThrownBy(() -> h.result().get(1, TimeUnit.SECONDS)).hasCauseInstanceOf(EngineClosedException.class);
        }
        assertThatThrownBy(() -> e.submit(request(2, 4), GenerationListener.NONE)).isInstanceOf(EngineClosedException.class)
                .hasMessage("the engine is closed");
        e.close(); // idempotent
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
