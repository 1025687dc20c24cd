package org.gptq4j.langchain4j;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.engine.GenerationTimings;
import org.gptq4j.model.ModelFolder;
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
    static final ModelFolder FOLDER = ModelFolder.read(MODEL);
    static final Tokenizer TOKENIZER = FOLDER.loadTokenizer();

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
    public ModelFolder model() {
        return FOLDER;
    }

    @Override
    public int contextLength() {
        return 512;
    }

    @Override
    public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
        int[] prompt = request.promptTokenIds();
        SamplingParameters sampling = request.parameters();
        lastSampling = sampling;
        lastPrompt = prompt;
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        running.incrementAndGet();
        engineThread.execute(() -> {
            try {
                GenerationResult done = run(prompt, sampling, request.constraint(), listener, stop);
                listener.onComplete(done);
                result.complete(done);
            } catch (RuntimeException e) {
                listener.onError(e);
                result.completeExceptionally(e);
            } finally {
                running.decrementAndGet();
            }
        });
        return new GenerationHandle() {
            @Override
            public void cancel() {
                if (stop.compareAndSet(false, true)) cancelled.incrementAndGet();
            }

            @Override
            public CompletableFuture<GenerationResult> result() {
                return result;
            }
        };
    }

    /** The result the engine reports for a finished generation of {@code tokens} and {@code text}. */
    static GenerationResult result(int[] tokens, String text, FinishReason reason, int promptLength) {
        return new GenerationResult(tokens, text, reason, null, promptLength, 0, 0,
                new GenerationTimings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO));
    }

    private GenerationResult run(int[] prompt, SamplingParameters sampling, LogitsConstraint constraint,
                                 GenerationListener listener, AtomicBoolean stop) {
        int[] scripted = script == null ? null : TOKENIZER.encode(script);
        Random random = new Random(sampling.seed() != null ? sampling.seed() : seed);
        StreamingDecoder decoder = TOKENIZER.newStreamingDecoder();
        int generated = 0;
        int[] tokens = new int[sampling.maxNewTokens()];
        StringBuilder text = new StringBuilder();
        FinishReason reason = FinishReason.LENGTH;
        while (generated < sampling.maxNewTokens()) {
            if (stop.get()) {
                return result(Arrays.copyOf(tokens, generated), text.toString(), FinishReason.CANCELLED, prompt.length);
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
            tokens[generated++] = token;
            if (sampling.isStopToken(token)) {
                reason = FinishReason.STOP;
                break;
            }
            if (constraint != null) constraint.accept(token);
            String delta = decoder.push(token);
            text.append(delta);
            listener.onToken(token, delta);
            sleep();
            if (constraint != null && constraint.isComplete()) {
                reason = FinishReason.STOP;
                break;
            }
        }
        String rest = decoder.flush();
        if (!rest.isEmpty()) listener.onToken(-1, rest);
        text.append(rest);
        return result(Arrays.copyOf(tokens, generated), text.toString(), reason, prompt.length);
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
