package org.gptq4j.faults;

import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineLimits;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.testing.Fixtures;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Engines over the tiny fixture model and the checks every fault test ends with. */
final class TinyEngine {
    private TinyEngine() {}

    /** An engine over tiny-llama-gptq/main with one compute thread and {@code blocks} KV blocks of 4 positions. */
    static Engine start(int blocks, EngineLimits limits) {
        return Engine.builder().modelPath(Fixtures.model(Fixtures.TINY, "main")).threads(1).blockSize(4)
                .kvCacheBlocks(blocks).limits(limits).build();
    }

    /** An engine over the model folder {@code folder} (e.g. a damaged copy of the fixture). */
    static Engine startAt(Path folder, int blocks) {
        return Engine.builder().modelPath(folder).threads(1).blockSize(4).kvCacheBlocks(blocks).build();
    }

    static Engine start(int blocks) {
        return start(blocks, EngineLimits.builder().maxConcurrentSequences(8).queueTimeout(Duration.ofSeconds(30)).build());
    }

    /** A greedy request that ignores EOS, so that it runs exactly {@code maxNewTokens} steps. */
    static GenerationRequest greedy(int[] prompt, int maxNewTokens) {
        return new GenerationRequest(prompt, SamplingParameters.greedy().toBuilder().maxNewTokens(maxNewTokens).build(), true);
    }

    /** A prompt of random ordinary tokens (ids 3 and up: no BOS, EOS or UNK). */
    static int[] prompt(Random random, int length) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) p[i] = 3 + random.nextInt(509);
        return p;
    }

    /**
     * Waits (at most 5 s) until the engine's metrics show no running or queued sequence and every KV block free: the
     * metrics are refreshed after each step, so the last release shows up shortly after the last future completes.
     */
    static void assertAllBlocksFree(Engine engine) {
        eventually(() -> {
            var m = engine.metrics();
            return m.kvBlocksUsed() == 0 && m.runningSequences() == 0 && m.queueDepth() == 0;
        });
        var m = engine.metrics();
        assertThat(m.kvBlocksFree()).as("free KV blocks").isEqualTo(m.kvBlocksTotal());
    }

    /** After {@link Engine#close()}: neither the engine thread nor a compute thread is left running. */
    static void assertNoEngineThreads() {
        eventually(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("gptq4j-")));
    }

    /** Polls {@code condition} every 10 ms for up to 5 s and fails if it never holds. */
    static void eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not reached within 5 s");
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
