package org.gptq4j.engine;

import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.PrefixCache;
import org.gptq4j.scheduler.Scheduler;
import org.gptq4j.scheduler.StepResult;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/** Accumulates the engine's counters on the engine thread and publishes {@link EngineMetrics} snapshots. */
final class MetricsRecorder {
    private static final System.Logger LOG = System.getLogger(MetricsRecorder.class.getName());
    private static final long RATE_WINDOW_NANOS = 5_000_000_000L;
    private static final int LATENCY_WINDOW = 100;

    private record TokenMark(long nanos, long generatedTotal) {}

    private final Scheduler scheduler;
    private final KvCacheManager kv;
    private final EngineMetricsListener listener;
    private final AtomicLong rejected = new AtomicLong();
    private final ArrayDeque<TokenMark> marks = new ArrayDeque<>();
    private final ArrayDeque<Long> ttft = new ArrayDeque<>(), itl = new ArrayDeque<>();
    private final AtomicLong promptTokens = new AtomicLong();
    private long completed, failed, generated, preemptions;
    private volatile EngineMetrics latest;

    MetricsRecorder(Scheduler scheduler, KvCacheManager kv, EngineMetricsListener listener) {
        this.scheduler = scheduler;
        this.kv = kv;
        this.listener = listener;
        this.latest = snapshot(System.nanoTime());
    }

    EngineMetrics latest() {
        return latest;
    }

    /** Any thread. */
    void rejected(Throwable error) {
        rejected.incrementAndGet();
        notify(() -> listener.onRequestFailed(error));
    }

    /** Any thread. */
    void accepted(int prompt) {
        promptTokens.addAndGet(prompt);
    }

    void step(StepResult step, long now) {
        generated += step.sampledTokens();
        preemptions += step.preemptions();
        marks.addLast(new TokenMark(now, generated));
        while (marks.size() > 2 && now - marks.peekFirst().nanos() > RATE_WINDOW_NANOS) marks.removeFirst();
        latest = snapshot(now);
        if (step.batchTokens() > 0 || step.ended() > 0) notify(() -> listener.onStep(latest));
    }

    /** Refreshes the snapshot without a step (idle engine, so rates decay to zero). */
    void idle(long now) {
        marks.addLast(new TokenMark(now, generated));
        while (marks.size() > 2 && now - marks.peekFirst().nanos() > RATE_WINDOW_NANOS) marks.removeFirst();
        latest = snapshot(now);
    }

    void completed(GenerationResult result) {
        completed++;
        recordLatencies(result.timings(), result.generatedTokenCount());
        notify(() -> listener.onRequestCompleted(result));
    }

    void failed(Throwable error) {
        failed++;
        notify(() -> listener.onRequestFailed(error));
    }

    private void recordLatencies(GenerationTimings t, int tokens) {
        if (tokens >= 1) push(ttft, t.timeToFirstToken().toNanos());
        if (tokens >= 2) push(itl, t.meanInterTokenLatency().toNanos());
    }

    private static void push(ArrayDeque<Long> window, long value) {
        window.addLast(value);
        if (window.size() > LATENCY_WINDOW) window.removeFirst();
    }

    private static Duration mean(ArrayDeque<Long> window) {
        if (window.isEmpty()) return Duration.ZERO;
        long sum = 0;
        for (long v : window) sum += v;
        return Duration.ofNanos(sum / window.size());
    }

    private EngineMetrics snapshot(long now) {
        PrefixCache prefix = kv.prefixCache();
        double rate = 0;
        if (marks.size() >= 2) {
            TokenMark first = marks.peekFirst(), last = marks.peekLast();
            long dt = last.nanos() - first.nanos();
            if (dt > 0) rate = (last.generatedTotal() - first.generatedTotal()) * 1e9 / dt;
        }
        return new EngineMetrics(scheduler.queueDepth(), scheduler.runningCount(), kv.capacity(),
                kv.usedBlocks(), kv.freeBlocks(), prefix == null ? 0 : prefix.cachedBlocks(),
                prefix == null ? 0 : prefix.hitRate(), completed, failed, rejected.get(), promptTokens.get(), generated,
                preemptions, rate, mean(ttft), mean(itl));
    }

    private void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "metrics listener threw; ignored", e);
        }
    }
}
