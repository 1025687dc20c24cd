package org.gptq4j.langchain4j;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.testing.Fixtures;
import org.gptq4j.tokenizer.StreamingDecoder;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * A stand-in for the engine over the real stories260K tokenizer: it either replays a scripted answer or
 * "samples" from random logits (seeded), honouring the constraint, stop tokens and maxNewTokens exactly as
 * the engine's contract says. Runs every generation on its own thread, like the engine.
 */
final class FakeBackend implements GenerationBackend {
    static final Path MODEL = Fixtures.model(Fixtures.STORIES, "main");
    static final Tokenizer TOKENIZER = Tokenizer.fromModelFolder(MODEL);

    private final ExecutorService engineThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-engine"));
    private final long seed;
    private volatile String script;
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger cancelled = new AtomicInteger();
    volatile SamplingParameters lastSampling;
    volatile int[] lastPrompt;
    volatile long tokenDelayMillis;

    FakeBackend(long seed) {
        this.seed = seed;
    }

    /** Replays {@code text} (then EOS) instead of sampling. */
    FakeBackend script(String text) {
        this.script = text;
        return this;
    }

    @Override
    public Tokenizer tokenizer() {
        return TOKENIZER;
    }

    @Override
    public Path modelFolder() {
        return MODEL;
    }

    @Override
    public int contextLength() {
        return 512;
    }

    @Override
    public Generation submit(int[] prompt, SamplingParameters sampling, LogitsConstraint constraint, Listener listener) {
        lastSampling = sampling;
        lastPrompt = prompt.clone();
        AtomicBoolean stop = new AtomicBoolean();
        running.incrementAndGet();
        engineThread.execute(() -> {
            try {
                run(prompt, sampling, constraint, listener, stop);
            } catch (RuntimeException e) {
                listener.onError(e);
            } finally {
                running.decrementAndGet();
            }
        });
        return () -> {
            if (stop.compareAndSet(false, true)) cancelled.incrementAndGet();
        };
    }

    private void run(int[] prompt, SamplingParameters sampling, LogitsConstraint constraint, Listener listener,
                     AtomicBoolean stop) {
        int[] scripted = script == null ? null : TOKENIZER.encode(script);
        Random random = new Random(sampling.seed() != null ? sampling.seed() : seed);
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        int generated = 0;
        FinishReason reason = FinishReason.LENGTH;
        while (generated < sampling.maxNewTokens()) {
            if (stop.get()) {
                listener.onComplete(new Outcome(FinishReason.CANCELLED, prompt.length, generated));
                return;
            }
            int token;
            if (scripted != null) {
                token = generated < scripted.length ? scripted[generated] : TOKENIZER.eosId();
            } else {
                float[] logits = new float[TOKENIZER.vocabSize()];
                for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextGaussian();
                if (constraint != null) constraint.apply(logits);
                token = argmax(logits);
            }
            generated++;
            if (sampling.isStopToken(token)) {
                reason = FinishReason.STOP;
                break;
            }
            if (constraint != null) constraint.accept(token);
            listener.onToken(token, decoder.push(token));
            sleep();
            if (constraint != null && constraint.isComplete()) {
                reason = FinishReason.STOP;
                break;
            }
        }
        String rest = decoder.flush();
        if (!rest.isEmpty()) listener.onToken(-1, rest);
        listener.onComplete(new Outcome(reason, prompt.length, generated));
    }

    private void sleep() {
        if (tokenDelayMillis <= 0) return;
        try {
            Thread.sleep(tokenDelayMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        if (logits[best] == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every token masked: " + Arrays.toString(Arrays.copyOf(logits, 4)));
        }
        return best;
    }
}
