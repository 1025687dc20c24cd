package org.gptq4j.engine;

/**
 * Receives one generation's output as it is produced. Every method is called on the engine's thread, so it must
 * return quickly (hand work to another thread); one that throws fails its own request only ({@link #onError} is
 * then called with what it threw) and never disturbs other requests.
 *
 * <p>Exactly one of {@link #onComplete} and {@link #onError} is called, last. The {@code textDelta}s of all
 * {@link #onToken} calls concatenate to {@link GenerationResult#text()}, and their token ids are
 * {@link GenerationResult#tokenIds()}.
 */
public interface GenerationListener {
    /** A listener that ignores everything (for {@link Engine#generate}). */
    GenerationListener NONE = new GenerationListener() {};

    /**
     * A generated token and the text it completes, possibly empty (text held back while it may still become a
     * stop sequence or a multi-byte character; a stop token's text is never emitted).
     */
    default void onToken(int tokenId, String textDelta) {}

    /** The generation ended normally, was stopped, reached its length, or was cancelled. */
    default void onComplete(GenerationResult result) {}

    /**
     * The generation failed: {@link RequestRejectedException} (queue timeout), {@link EngineClosedException},
     * {@link GenerationException}, or what this listener threw.
     */
    default void onError(Throwable error) {}
}
