package org.gptq4j.sampling;

/**
 * A per-request restriction on which tokens may come next (constrained decoding: JSON mode, a JSON schema, tool-call
 * arguments). The engine calls {@link #apply} on the logits before sampling each token and {@link #accept} with the
 * token chosen; it ends the request with a normal stop once {@link #isComplete()} holds. One instance serves one
 * request and is used from one thread at a time.
 */
public interface LogitsConstraint {
    /** Sets the logit of every token that may not come next to negative infinity. */
    void apply(float[] logits);

    /** Records the token that was chosen. */
    void accept(int tokenId);

    /** True when the constrained output is complete and generation should stop. */
    boolean isComplete();
}
