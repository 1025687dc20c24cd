package org.gptq4j.engine;

import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.Sampler;
import org.gptq4j.sampling.StopSequenceMatcher;
import org.gptq4j.sampling.TokenHistory;
import org.gptq4j.scheduler.Scheduler;
import org.gptq4j.scheduler.Sequence;
import org.gptq4j.scheduler.SequenceCallbacks;
import org.gptq4j.scheduler.SequenceEnd;
import org.gptq4j.tokenizer.StreamingDecoder;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * One submitted request inside the engine: turns logits into tokens (its own seeded {@link Sampler}), tokens
 * into text (streaming detokenization, stop tokens, stop sequences), and feeds its listener and future.
 * Everything but {@link #cancel()} and {@link #result()} runs on the engine thread.
 */
final class EngineRequest implements SequenceCallbacks, GenerationHandle {
    private static final System.Logger LOG = System.getLogger(EngineRequest.class.getName());

    private final GenerationRequest request;
    private final GenerationListener listener;
    private final Scheduler scheduler;
    private final MetricsRecorder metrics;
    private final LongSupplier clock;
    private final Duration queueTimeout;
    private final Sampler sampler;
    private final TokenHistory history;
    private final StreamingDecoder decoder;
    private final StopSequenceMatcher matcher;
    private final Set<Integer> stopTokens;
    private final Sequence sequence;
    private final CompletableFuture<GenerationResult> future = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private int[] tokens = new int[16];
    private int tokenCount;
    private FinishReason finishReason;
    private String stopSequence;
    private Throwable listenerFailure;

    EngineRequest(GenerationRequest request, GenerationListener listener, Engine engine, Set<Integer> stopTokens) {
        this.request = request;
        this.listener = listener;
        this.scheduler = engine.scheduler();
        this.metrics = engine.metricsRecorder();
        this.clock = System::nanoTime;
        this.queueTimeout = engine.limits().queueTimeout();
        this.sampler = new Sampler(request.parameters(), engine.modelConfig().vocabSize());
        this.history = new TokenHistory(request.promptView());
        this.decoder = engine.tokenizer().newStreamingDecoder();
        this.matcher = new StopSequenceMatcher(request.parameters().stopSequences());
        this.stopTokens = stopTokens;
        this.sequence = new Sequence(request.promptView(), request.parameters().maxNewTokens(), this);
    }

    Sequence sequence() {
        return sequence;
    }

    @Override
    public void cancel() {
        scheduler.cancel(sequence);
    }

    @Override
    public CompletableFuture<GenerationResult> result() {
        return future;
    }

    @Override
    public int nextToken(float[] logits) {
        // The constraint masks disallowed tokens to -inf first; the penalties keep them there.
        if (request.constraint() != null) request.constraint().apply(logits);
        return sampler.next(logits, history);
    }

    @Override
    public boolean onToken(Sequence s, int tokenId) {
        if (tokenCount == tokens.length) tokens = Arrays.copyOf(tokens, tokenCount * 2);
        tokens[tokenCount++] = tokenId;
        LogitsConstraint constraint = request.constraint();
        if (constraint != null) constraint.accept(tokenId);
        if (stopTokens.contains(tokenId)) {
            finishReason = FinishReason.STOP;
            emit(tokenId, heldBackText());
            return true;
        }
        history.add(tokenId);
        StopSequenceMatcher.Match match = matcher.accept(decoder.push(tokenId));
        if (match.stopped()) {
            finishReason = FinishReason.STOP_SEQUENCE;
            stopSequence = match.stopSequence();
            emit(tokenId, match.text());
            return true;
        }
        String delta = match.text();
        if (constraint != null && constraint.isComplete()) {
            finishReason = FinishReason.STOP; // the constrained output (e.g. a JSON document) is whole
            emit(tokenId, delta + heldBackText());
            return true;
        }
        if (s.generatedCount() >= s.maxNewTokens()) {
            finishReason = FinishReason.LENGTH;
            delta += heldBackText();
        }
        emit(tokenId, delta);
        return false;
    }

    /** What the decoder and the stop matcher still hold, at the end of a generation. */
    private String heldBackText() {
        StopSequenceMatcher.Match match = matcher.accept(decoder.flush());
        if (match.stopped()) {
            finishReason = FinishReason.STOP_SEQUENCE;
            stopSequence = match.stopSequence();
            return match.text();
        }
        return match.text() + matcher.flush();
    }

    private void emit(int tokenId, String delta) {
        text.append(delta);
        try {
            listener.onToken(tokenId, delta);
        } catch (Throwable e) {
            listenerFailure = e;
            throw e;
        }
    }

    @Override
    public void onEnd(Sequence s, SequenceEnd end) {
        switch (end.kind()) {
            case STOPPED, LENGTH -> complete(finishReason != null ? finishReason : FinishReason.LENGTH);
            case CANCELLED -> complete(FinishReason.CANCELLED);
            case FAILED -> fail(end.error() == listenerFailure && listenerFailure != null ? listenerFailure
                    : new GenerationException("generation failed: " + end.error(), end.error()));
            case QUEUE_TIMEOUT -> fail(new RequestRejectedException(RequestRejectedException.Limit.QUEUE_TIMEOUT,
                    end.waited().toMillis(), queueTimeout.toMillis(), "waited " + end.waited().toMillis()
                    + " ms for admission, queue-timeout is " + queueTimeout.toMillis() + " ms"));
            case SHUTDOWN -> fail(new EngineClosedException("the engine was closed before this request ended"));
        }
    }

    private void complete(FinishReason reason) {
        GenerationResult result = new GenerationResult(Arrays.copyOf(tokens, tokenCount), text.toString(), reason, stopSequence,
                sequence.promptLength(), sequence.cachedPromptTokens(), sequence.preemptions(), timings());
        metrics.completed(result);
        try {
            listener.onComplete(result);
        } catch (Throwable e) { // an Error too: the future must complete, or generate() would wait forever
            LOG.log(System.Logger.Level.WARNING, "GenerationListener.onComplete threw; the request's future fails with it", e);
            future.completeExceptionally(e);
            return;
        }
        future.complete(result);
    }

    private void fail(Throwable error) {
        metrics.failed(error);
        try {
            listener.onError(error);
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.WARNING, "GenerationListener.onError threw; ignored", e);
        }
        future.completeExceptionally(error);
    }

    private GenerationTimings timings() {
        long now = clock.getAsLong(), submitted = sequence.submittedNanos();
        long scheduled = sequence.firstScheduledNanos() < 0 ? now : sequence.firstScheduledNanos();
        long first = sequence.firstTokenNanos();
        Duration itl = tokenCount >= 2 ? Duration.ofNanos((sequence.lastTokenNanos() - first) / (tokenCount - 1)) : Duration.ZERO;
        return new GenerationTimings(Duration.ofNanos(scheduled - submitted), first < 0 ? Duration.ZERO : Duration.ofNanos(first - submitted),
                Duration.ofNanos(now - submitted), itl);
    }
}
