package org.gptq4j.scheduler;

import java.time.Duration;

/**
 * How much work the scheduler takes on: prompt tokens computed per step ({@code maxBatchPrefillTokens}; decode
 * tokens of running sequences are not counted), sequences running at once, requests waiting for admission, and
 * how long one may wait.
 */
public record SchedulerConfig(int maxBatchPrefillTokens, int maxConcurrentSequences, int maxQueuedRequests, Duration queueTimeout) {
    public SchedulerConfig {
        if (maxBatchPrefillTokens < 1) throw new IllegalArgumentException("maxBatchPrefillTokens must be >= 1, got " + maxBatchPrefillTokens);
        if (maxConcurrentSequences < 1) throw new IllegalArgumentException("maxConcurrentSequences must be >= 1, got " + maxConcurrentSequences);
        if (maxQueuedRequests < 0) throw new IllegalArgumentException("maxQueuedRequests must be >= 0, got " + maxQueuedRequests);
        if (queueTimeout == null || queueTimeout.isNegative() || queueTimeout.isZero()) {
            throw new IllegalArgumentException("queueTimeout must be positive, got " + queueTimeout);
        }
    }
}
