package org.gptq4j.scheduler;

import org.gptq4j.io.SafetensorsFile;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.KvLayout;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.LlamaModel;
import org.gptq4j.testing.Fixtures;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/** The tiny fixture model, schedulers over it, and greedy runs of one sequence alone, shared by the scheduler tests. */
final class TinyModel implements AutoCloseable {
    // The float32 kernels: the golden comparisons below use the strict float32 tolerance.
    final LlamaModel model = LlamaModel.load(Fixtures.model(Fixtures.TINY, "main"), org.gptq4j.kernel.KernelBackend.FLOAT);
    final ComputePool pool = new ComputePool(1);
    final int vocab = model.config().vocabSize();

    /** A KV cache for the model: its memory (the model's) and its manager (the scheduler's). */
    record Kv(PagedKvCache memory, KvCacheManager manager) implements AutoCloseable {
        @Override
        public void close() {
            memory.close();
        }
    }

    Kv cache(int blockSize, int blocks, boolean prefixCaching) {
        KvLayout layout = model.kvLayout(blockSize, blocks);
        return new Kv(new PagedKvCache(layout), new KvCacheManager(layout, prefixCaching));
    }

    ModelRunner runner(Kv cache) {
        return batch -> model.forward(batch, cache.memory(), pool);
    }

    Scheduler scheduler(Kv cache, int prefillBudget, int maxConcurrent) {
        return scheduler(cache, prefillBudget, maxConcurrent, System::nanoTime);
    }

    Scheduler scheduler(Kv cache, int prefillBudget, int maxConcurrent, LongSupplier clock) {
        return new Scheduler(runner(cache), cache.manager(), vocab, new SchedulerConfig(prefillBudget, maxConcurrent, 1000, Duration.ofMinutes(5)), clock);
    }

    /** Steps until nothing is left, checking the KV accounting after every step; returns the steps taken. */
    static int drain(Scheduler s) {
        int steps = 0;
        while (s.hasWork()) {
            s.step();
            s.checkInvariants();
            if (++steps > 100_000) throw new AssertionError("scheduler does not finish");
        }
        return steps;
    }

    /** The greedy continuation of {@code prompt} computed alone (its own cache, one sequence). */
    int[] soloGreedy(int[] prompt, int maxNewTokens) {
        try (Kv cache = cache(16, 64, false)) {
            Recorder r = Recorder.greedy();
            Scheduler s = scheduler(cache, 512, 1);
            s.submit(new Sequence(prompt, maxNewTokens, r));
            drain(s);
            return r.tokens();
        }
    }

    static int[] randomPrompt(Random random, int length, int vocab) {
        int[] p = new int[length];
        for (int i = 0; i < length; i++) p[i] = 3 + random.nextInt(vocab - 3);
        return p;
    }

    /** A golden sequence of the fixture: ids, the positions kept and the reference logits there. */
    record Golden(int[] ids, int[] positions, float[][] logits) {
        static List<Golden> read(String branch) {
            List<Golden> out = new ArrayList<>();
            try (SafetensorsFile file = SafetensorsFile.open(Fixtures.golden(Fixtures.TINY, branch, "safetensors"))) {
                for (int s = 0; file.tensors().containsKey("seq" + s + ".ids"); s++) {
                    var t = file.tensors().get("seq" + s + ".logits");
                    float[] flat = t.toFloatArray();
                    int vocab = t.dim(1);
                    IntFunction<float[]> row = i -> Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
                    int[] positions = file.tensors().get("seq" + s + ".positions").toIntArray();
                    float[][] logits = new float[positions.length][];
                    for (int i = 0; i < positions.length; i++) logits[i] = row.apply(i);
                    out.add(new Golden(file.tensors().get("seq" + s + ".ids").toIntArray(), positions, logits));
                }
            }
            return out;
        }
    }

    /** |actual - expected| <= 1e-3 + 1e-3 |expected| everywhere: the fixtures' float32 tolerance. */
    static void assertClose(float[] actual, float[] expected, String where) {
        if (actual.length != expected.length) throw new AssertionError(where + ": " + actual.length + " logits, expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(actual[i] - expected[i]) > 1e-3 + 1e-3 * Math.abs(expected[i])) {
                throw new AssertionError(where + ": logit " + i + " is " + actual[i] + ", reference " + expected[i]);
            }
        }
    }

    @Override
    public void close() {
        pool.close();
        model.close();
    }
}
