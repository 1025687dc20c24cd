package org.gptq4j.hub;

import java.time.Duration;
import java.util.Objects;

/**
 * How often and how patiently a failed request is tried again: exponential backoff from {@code initialDelay},
 * doubling per attempt, capped at {@code maxDelay}. A server's {@code Retry-After} is honoured up to that cap.
 *
 * @param maxAttempts  attempts in all, the first included (1 = never retry)
 * @param initialDelay wait before the second attempt
 * @param maxDelay     longest single wait, whatever backoff or {@code Retry-After} say
 */
public record RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay) {

    /** Five attempts, 0.5 s doubling to at most 30 s. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(30));

    public RetryPolicy {
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be >= 1, got " + maxAttempts);
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (initialDelay.isNegative() || maxDelay.isNegative()) {
            throw new IllegalArgumentException("retry delays must not be negative");
        }
    }

    /**
     * The wait before attempt {@code failedAttempts + 1}.
     *
     * @param failedAttempts attempts that failed so far (>= 1)
     * @param retryAfter     what the server asked for, or {@code null}
     */
    public Duration delayAfter(int failedAttempts, Duration retryAfter) {
        Duration backoff = initialDelay.multipliedBy(1L << Math.min(failedAttempts - 1, 30));
        Duration wanted = retryAfter != null && retryAfter.compareTo(backoff) > 0 ? retryAfter : backoff;
        return wanted.compareTo(maxDelay) > 0 ? maxDelay : wanted;
    }
}
