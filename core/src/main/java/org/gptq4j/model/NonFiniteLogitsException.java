package org.gptq4j.model;

/**
 * A forward pass produced a NaN or infinite logit: the model's weights or activations overflowed. A fault of the
 * model or the engine, never of the request (the weights are checked to be finite at load); over HTTP a 5xx.
 */
public final class NonFiniteLogitsException extends IllegalStateException {
    public NonFiniteLogitsException(String message) {
        super(message);
    }

    /** Refuses {@code logits[from, to)} (a row over the vocabulary) if any of them is NaN or infinite. */
    public static void requireFinite(float[] logits, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new NonFiniteLogitsException("the forward pass produced the logit " + logits[i] + " for token " + (i - from)
                        + ": the model's weights or activations overflowed (a fault of the model or engine, not of the request)");
            }
        }
    }
}
