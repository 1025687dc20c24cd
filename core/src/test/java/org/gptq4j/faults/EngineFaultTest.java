package org.gptq4j.faults;

import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineClosedException;
import org.gptq4j.engine.GenerationException;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.engine.RequestRejectedException;
import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.LogitsConstraint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Faults around one engine: listeners that throw or block, callers that are interrupted, a KV cache too small for
 * the batch, and a close with requests in flight. Each must end in a clear error for the affected request only,
 * with every KV block returned and no engine thread left behind.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EngineFaultTest {
    private static final int[] PROMPT = {1, 450, 12, 77, 301};
    private Engine engine;

    @AfterEach
    void closeAndCheckThreads() {
        if (engine != null) engine.close();
        TinyEngine.assertNoEngineThreads();
    }

    /** A listener that holds the engine thread at its first token until {@link #release()}: freezes the engine. */
    static final class Blocker implements GenerationListener {
        final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        @Override
        public void onToken(int tokenId, String textDelta) {
            reached.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits until the engine thread is held here. */
        void awaitReached() throws InterruptedException {
            assertThat(reached.await(10, TimeUnit.SECONDS)).as("the engine reached the blocking listener").isTrue();
        }

        void release() {
            released.countDown();
        }
    }

    @Test
    void aListenerThatThrowsFailsOnlyItsOwnRequest() throws Exception {
        engine = TinyEngine.start(64);
        int[] alone = engine.generate(TinyEngine.greedy(PROMPT, 12)).tokenIds();
        AtomicReference<Throwable> reported = new AtomicReference<>();
        RuntimeException thrown = new IllegalStateException("client went away");
        GenerationHandle failing = engine.submit(TinyEngine.greedy(PROMPT, 12), new GenerationListener() {
            int tokens;

            @Override
            public void onToken(int tokenId, String textDelta) {
                if (++tokens == 3) throw thrown;
            }

            @Override
            public void onError(Throwable error) {
                reported.set(error);
            }
        });
        GenerationHandle healthy = engine.submit(TinyEngine.greedy(PROMPT, 12), GenerationListener.NONE);

        assertThatThrownBy(() -> failing.result().get()).isInstanceOf(ExecutionException.class).cause().isSameAs(thrown);
        assertThat(reported.get()).isSameAs(thrown);
        assertThat(healthy.result().get().tokenIds()).containsExactly(alone);
        TinyEngine.assertAllBlocksFree(engine);
        assertThat(engine.generate(TinyEngine.greedy(PROMPT, 12)).tokenIds()).as("the engine carries on").containsExactly(alone);
    }

    /**
     * A real {@code StackOverflowError} in one request's constraint and an {@code OutOfMemoryError} from another's
     * listener fail those two requests; a third, running with them, completes with its solo tokens, and the engine
     * carries on. The engine loop used to end on any {@code Throwable}, closing the engine for everyone.
     */
    @Test
    void anErrorRaisedWhileHandlingOneRequestFailsOnlyThatRequest() throws Exception {
        engine = TinyEngine.start(64);
        int[] alone = engine.generate(TinyEngine.greedy(PROMPT, 12)).tokenIds();
        LogitsConstraint bottomless = new LogitsConstraint() {
            @Override
            public void apply(float[] logits) {
                apply(logits); // recurses until the engine thread's stack overflows
            }

            @Override
            public void accept(int tokenId) {}

            @Override
            public boolean isComplete() {
                return false;
            }
        };
        OutOfMemoryError oom = new OutOfMemoryError("injected: Java heap space");
        AtomicReference<Throwable> reported = new AtomicReference<>();
        GenerationHandle overflowing = engine.submit(TinyEngine.greedy(PROMPT, 12).withConstraint(bottomless), GenerationListener.NONE);
        GenerationHandle outOfMemory = engine.submit(TinyEngine.greedy(PROMPT, 12), new GenerationListener() {
            int tokens;

            @Override
            public void onToken(int tokenId, String textDelta) {
                if (++tokens == 3) throw oom;
            }

            @Override
            public void onError(Throwable error) {
                reported.set(error);
            }
        });
        GenerationHandle healthy = engine.submit(TinyEngine.greedy(PROMPT, 12), GenerationListener.NONE);

        assertThatThrownBy(() -> overflowing.result().get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(GenerationException.class).hasCauseInstanceOf(StackOverflowError.class);
        assertThatThrownBy(() -> outOfMemory.result().get(10, TimeUnit.SECONDS)).cause().isSameAs(oom);
        assertThat(reported.get()).isSameAs(oom);
        assertThat(healthy.result().get(10, TimeUnit.SECONDS).tokenIds()).containsExactly(alone);
        assertThat(engine.isRunning()).as("the engine is still running").isTrue();
        TinyEngine.assertAllBlocksFree(engine);
        assertThat(engine.generate(TinyEngine.greedy(PROMPT, 12)).tokenIds()).as("the engine carries on").containsExactly(alone);
    }

    /** A listener whose {@code onComplete} throws an {@code Error} still lets its future (and {@code generate}) end. */
    @Test
    void aListenerThatThrowsAnErrorOnCompleteStillEndsItsFuture() throws Exception {
        engine = TinyEngine.start(64);
        StackOverflowError thrown = new StackOverflowError("injected");
        GenerationHandle h = engine.submit(TinyEngine.greedy(PROMPT, 4), new GenerationListener() {
            @Override
            public void onComplete(GenerationResult result) {
                throw thrown;
            }
        });
        assertThatThrownBy(() -> h.result().get(10, TimeUnit.SECONDS)).cause().isSameAs(thrown);
        assertThat(engine.isRunning()).isTrue();
        assertThat(engine.generate(TinyEngine.greedy(PROMPT, 4)).generatedTokenCount()).isEqualTo(4);
    }

    @Test
    void aListenerThatThrowsOnCompleteFailsOnlyItsFuture() throws Exception {
        engine = TinyEngine.start(64);
        GenerationHandle h = engine.submit(TinyEngine.greedy(PROMPT, 4), new GenerationListener() {
            @Override
            public void onComplete(GenerationResult result) {
                throw new IllegalStateException("listener bug");
            }
        });
        assertThatThrownBy(() -> h.result().get()).cause().hasMessage("listener bug");
        assertThat(engine.generate(TinyEngine.greedy(PROMPT, 4)).generatedTokenCount()).isEqualTo(4);
        TinyEngine.assertAllBlocksFree(engine);
    }

    /**
     * Listeners run on the engine thread: one that blocks stalls every request (documented in docs/reliability.md),
     * but loses none. Once it returns, every request completes with exactly the tokens it would have had alone.
     */
    @Test
    void aListenerThatBlocksStallsTheEngineButLosesNothing() throws Exception {
        engine = TinyEngine.start(64);
        int[] alone = engine.generate(TinyEngine.greedy(PROMPT, 8)).tokenIds();
        Blocker blocker = new Blocker();
        GenerationHandle blocking = engine.submit(TinyEngine.greedy(PROMPT, 8), blocker);
        blocker.awaitReached();
        AtomicInteger othersTokens = new AtomicInteger();
        GenerationHandle other = engine.submit(TinyEngine.greedy(PROMPT, 8), new GenerationListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                othersTokens.incrementAndGet();
            }
        });
        Thread.sleep(300);
        assertThat(othersTokens.get()).as("no progress while the engine thread is blocked").isZero();
        blocker.release();
        assertThat(blocking.result().get(10, TimeUnit.SECONDS).tokenIds()).containsExactly(alone);
        assertThat(other.result().get(10, TimeUnit.SECONDS).tokenIds()).containsExactly(alone);
        TinyEngine.assertAllBlocksFree(engine);
    }

    @Test
    void anInterruptedCallerGetsAClearErrorAndItsGenerationIsCancelled() throws Exception {
        engine = TinyEngine.start(256);
        Blocker blocker = new Blocker();
        GenerationHandle held = engine.submit(TinyEngine.greedy(PROMPT, 2), blocker);
        blocker.awaitReached();
        AtomicReference<Throwable> caught = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                engine.generate(TinyEngine.greedy(PROMPT, 400));
            } catch (Throwable t) {
                caught.set(t);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        caller.start();
        TinyEngine.eventually(() -> caller.getState() == Thread.State.WAITING);
        caller.interrupt();
        caller.join(10_000);
        blocker.release();
        assertThat(caught.get()).isInstanceOf(GenerationException.class).hasMessageContaining("interrupted")
                .hasCauseInstanceOf(InterruptedException.class);
        assertThat(stillInterrupted.get()).as("the interrupt status is restored").isTrue();
        assertThat(held.result().get(10, TimeUnit.SECONDS).generatedTokenCount()).as("the other request is untouched").isEqualTo(2);
        TinyEngine.assertAllBlocksFree(engine);
        assertThat(engine.metrics().requestsCompleted()).as("the interrupted request ended, cancelled").isEqualTo(2);
        assertThat(engine.generate(TinyEngine.greedy(PROMPT, 4)).generatedTokenCount()).isEqualTo(4);
    }

    @Test
    void aCallerAlreadyInterruptedFailsAtOnceWithoutLeakingItsRequest() {
        engine = TinyEngine.start(64);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> engine.generate(TinyEngine.greedy(PROMPT, 50))).isInstanceOf(GenerationException.class)
                    .hasMessageContaining("interrupted").hasCauseInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        TinyEngine.assertAllBlocksFree(engine);
        assertThat(engine.metrics().promptTokens()).as("nothing was submitted").isZero();
    }

    /**
     * Eight requests that need 8 blocks each share 12 blocks: the scheduler must preempt and recompute, and every
     * request still gets exactly its solo greedy tokens; a request larger than the whole cache is refused up front.
     */
    @Test
    void kvMemoryExhaustedMidBatchPreemptsWithoutCorruption() throws Exception {
        engine = TinyEngine.start(12);
        Random random = new Random(6);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) prompts.add(TinyEngine.prompt(random, 8));
        List<int[]> alone = new ArrayList<>();
        for (int[] p : prompts) alone.add(engine.generate(TinyEngine.greedy(p, 24)).tokenIds());

        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        for (int[] p : prompts) futures.add(engine.submit(TinyEngine.greedy(p, 24), GenerationListener.NONE).result());
        int preemptions = 0;
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult r = futures.get(i).get(30, TimeUnit.SECONDS);
            assertThat(r.tokenIds()).as("request %d after preemption", i).containsExactly(alone.get(i));
            preemptions += r.preemptions();
        }
        assertThat(preemptions).as("the cache was too small for the batch").isPositive();
        TinyEngine.assertAllBlocksFree(engine);

        assertThatThrownBy(() -> engine.submit(TinyEngine.greedy(TinyEngine.prompt(random, 8), 60), GenerationListener.NONE))
                .isInstanceOf(RequestRejectedException.class)
                .satisfies(e -> assertThat(((RequestRejectedException) e).limit()).isEqualTo(RequestRejectedException.Limit.KV_CACHE_BLOCKS));
    }

    @Test
    void closingWithRequestsInFlightFailsEachOfThemClearly() throws Exception {
        engine = TinyEngine.start(256);
        Blocker blocker = new Blocker();
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        futures.add(engine.submit(TinyEngine.greedy(PROMPT, 400), blocker).result());
        blocker.awaitReached();
        for (int i = 0; i < 3; i++) futures.add(engine.submit(TinyEngine.greedy(PROMPT, 400), GenerationListener.NONE).result());
        Thread closer = new Thread(engine::close);
        closer.start();
        TinyEngine.eventually(() -> closer.getState() == Thread.State.WAITING);
        blocker.release();
        closer.join(10_000);
        for (CompletableFuture<GenerationResult> f : futures) {
            assertThat(f).isCompletedExceptionally();
            assertThatThrownBy(f::get).cause().isInstanceOf(EngineClosedException.class);
        }
        assertThatThrownBy(() -> engine.submit(TinyEngine.greedy(PROMPT, 1), GenerationListener.NONE))
                .isInstanceOf(EngineClosedException.class);
    }

    @Test
    void aCancelledRequestEndsCancelledAndReturnsItsBlocks() throws Exception {
        engine = TinyEngine.start(256);
        Blocker blocker = new Blocker();
        GenerationHandle h = engine.submit(TinyEngine.greedy(PROMPT, 400), blocker);
        blocker.awaitReached();
        h.cancel();
        blocker.release();
        GenerationResult r = h.result().get(10, TimeUnit.SECONDS);
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.generatedTokenCount()).isLessThan(400);
        TinyEngine.assertAllBlocksFree(engine);
    }
}
