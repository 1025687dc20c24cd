package org.gptq4j.scheduler;

/**
 * What a sequence's owner does with its logits and tokens. Called on the engine thread, one sequence at a time;
 * anything thrown by {@link #nextToken} or {@link #onToken} (an {@code Error} too) fails this sequence only, and
 * anything thrown by {@link #onEnd} is logged and ignored.
 */
public interface SequenceCallbacks {
    /** Picks the next token from the logits of the sequence's last token ({@code vocabSize} floats, a private copy). */
    int nextToken(float[] logits);

    /** The token was appended to the sequence; returns true to finish it now (a stop token or stop sequence). */
    boolean onToken(Sequence sequence, int tokenId);

    /** Called exactly once, when the sequence has ended and its KV blocks are already released. */
    void onEnd(Sequence sequence, SequenceEnd end);
}
