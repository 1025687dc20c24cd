package org.gptq4j.scheduler;

/**
 * What one scheduler step did: tokens computed in its forward pass (prompt chunks and decode tokens), tokens
 * sampled, sequences preempted and ended, and the time the forward pass took.
 */
public record StepResult(int prefillTokens, int decodeTokens, int sampledTokens, int preemptions, int ended, long forwardNanos) {
    static final StepResult IDLE = new StepResult(0, 0, 0, 0, 0, 0);

    public int batchTokens() {
        return prefillTokens + decodeTokens;
    }
}
