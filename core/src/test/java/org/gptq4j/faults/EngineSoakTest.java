package org.gptq4j.faults;

import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineLimits;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.engine.RequestRejectedException;
import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.SamplingParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bounded soak of one engine: 16 client threads send 200 streaming requests (random prompts, lengths and sampling;
 * some share a prompt prefix) over a KV cache too small for all of them at once; a quarter are cancelled mid-stream
 * and a tenth "disconnect" (their listener throws, as a closed HTTP stream would). Afterwards every request has
 * exactly one outcome, every KV block is free, the engine's counters agree, and after close no engine thread is left.
 * Prints p50/p99 time to first token and the decode rate.
 */
class EngineSoakTest {
    private static final int CLIENTS = 16, REQUESTS = 200;

    /** One request's story, filled in by its listener. */
    private static final class Outcome implements GenerationListener {
        final long submitted = System.nanoTime();
        final int disconnectAt;
        volatile long firstToken = -1;
        final AtomicInteger tokens = new AtomicInteger();
        final AtomicInteger ends = new AtomicInteger();
        volatile GenerationResult result;
        volatile Throwable error;
        final CountDownLatch done = new CountDownLatch(1);

        Outcome(int disconnectAt) {
            this.disconnectAt = disconnectAt;
        }

        @Override
        public void onToken(int tokenId, String textDelta) {
            if (tokens.incrementAndGet() == 1) firstToken = System.nanoTime();
            if (tokens.get() == disconnectAt) throw new IllegalStateException("client disconnected");
        }

        @Override
        public void onComplete(GenerationResult r) {
            result = r;
            ends.incrementAndGet();
            done.countDown();
        }

        @Override
        public void onError(Throwable e) {
            error = e;
            ends.incrementAndGet();
            done.countDown();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void twoHundredConcurrentStreamsWithCancelsAndDisconnectsLeakNothing() throws Exception {
        EngineLimits limits = EngineLimits.builder().maxConcurrentSequences(12).maxQueuedRequests(REQUESTS)
                .queueTimeout(Duration.ofSeconds(60)).build();
        List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger rejected = new AtomicInteger(), cancelled = new AtomicInteger();
        long started = System.nanoTime();
        Engine engine = TinyEngine.start(48, limits);
        try {
            int[] sharedPrefix = TinyEngine.prompt(new Random(0), 12);
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            Set<Integer> seen = ConcurrentHashMap.newKeySet();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                clients.submit(() -> {
                    Random random = new Random(100 + client);
                    for (int i = client; i < REQUESTS; i += CLIENTS) {
                        seen.add(i);
                        runOne(engine, random, sharedPrefix, outcomes, rejected, cancelled);
                    }
                    return null;
                });
            }
            clients.shutdown();
            assertThat(clients.awaitTermination(90, TimeUnit.SECONDS)).as("clients finished").isTrue();
            for (Outcome o : outcomes) assertThat(o.done.await(30, TimeUnit.SECONDS)).as("every request ends").isTrue();
            assertThat(seen).hasSize(REQUESTS);

            for (Outcome o : outcomes) {
                assertThat(o.ends.get()).as("exactly one of onComplete/onError").isEqualTo(1);
                if (o.result == null) assertThat(o.error).hasMessage("client disconnected");
            }
            TinyEngine.assertAllBlocksFree(engine);
            var m = engine.metrics();
            assertThat(m.requestsCompleted() + m.requestsFailed()).isEqualTo(outcomes.size());
            report(outcomes, rejected.get(), cancelled.get(), m.preemptions(), System.nanoTime() - started);
        } finally {
            engine.close();
        }
        TinyEngine.assertNoEngineThreads();
    }

    /** Submits one random request, waits for it, and cancels it part-way in about a quarter of the cases. */
    private static void runOne(Engine engine, Random random, int[] sharedPrefix, List<Outcome> outcomes,
                               AtomicInteger rejected, AtomicInteger cancelled) throws InterruptedException {
        int[] prompt = random.nextBoolean() ? TinyEngine.prompt(random, 1 + random.nextInt(40))
                : concat(sharedPrefix, TinyEngine.prompt(random, 1 + random.nextInt(8)));
        SamplingParameters sampling = SamplingParameters.builder().maxNewTokens(1 + random.nextInt(48))
                .temperature(random.nextBoolean() ? 0 : 0.8).topP(0.9).seed(random.nextLong()).build();
        Outcome o = new Outcome(random.nextInt(10) == 0 ? 1 + random.nextInt(8) : -1);
        GenerationHandle h;
        try {
            h = engine.submit(new GenerationRequest(prompt, sampling, random.nextBoolean()), o);
        } catch (RequestRejectedException e) {
            rejected.incrementAndGet();
            return;
        }
        outcomes.add(o);
        if (random.nextInt(4) == 0) {
            Thread.sleep(random.nextInt(5));
            h.cancel();
            cancelled.incrementAndGet();
        }
        o.done.await(60, TimeUnit.SECONDS);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Prints what the soak held: outcomes, time to first token percentiles, throughput. */
    private static void report(List<Outcome> outcomes, int rejected, int cancelCalls, long preemptions, long elapsedNanos) {
        List<Long> ttft = new ArrayList<>();
        AtomicLong tokens = new AtomicLong();
        int completed = 0, cancelledResults = 0, disconnected = 0;
        for (Outcome o : outcomes) {
            if (o.firstToken > 0) ttft.add(o.firstToken - o.submitted);
            tokens.addAndGet(o.tokens.get());
            if (o.result != null) {
                completed++;
                if (o.result.finishReason() == FinishReason.CANCELLED) cancelledResults++;
            } else {
                disconnected++;
            }
        }
        Collections.sort(ttft);
        double seconds = elapsedNanos / 1e9;
        System.out.printf("soak: %d requests from %d threads in %.1f s: %d completed (%d cancelled of %d cancel calls), "
                        + "%d disconnected, %d rejected, %d preemptions; TTFT p50 %.1f ms p99 %.1f ms; %d tokens, %.0f tokens/s%n",
                outcomes.size(), CLIENTS, seconds, completed, cancelledResults, cancelCalls, disconnected, rejected, preemptions,
                percentile(ttft, 50) / 1e6, percentile(ttft, 99) / 1e6, tokens.get(), tokens.get() / seconds);
    }

    private static double percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) return Double.NaN;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
