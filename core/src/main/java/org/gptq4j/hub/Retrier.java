package org.gptq4j.hub;

import java.io.IOException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Runs an attempt until it succeeds or the {@link RetryPolicy} gives up. Dropped connections, timeouts and transient
 * statuses ({@link TransientStatusException}) are retried after a backoff; a {@link HubException} is final. An
 * attempt that made progress (a download that got further) resets the count: only failures in a row count.
 */
final class Retrier {

    /** One try; an {@link IOException} means "maybe next time". */
    @FunctionalInterface
    interface Attempt<T> {
        T run() throws IOException;
    }

    private final RetryPolicy policy;
    private final Sleeper sleeper;

    Retrier(RetryPolicy policy, Sleeper sleeper) {
        this.policy = policy;
        this.sleeper = sleeper;
    }

    <T> T run(String what, Attempt<T> attempt) {
        return run(what, attempt, () -> 0);
    }

    /**
     * @param what     for the error message, e.g. "download of model.safetensors from org/name"
     * @param progress a counter that grows while the attempt gets somewhere (bytes on disk)
     */
    <T> T run(String what, Attempt<T> attempt, LongSupplier progress) {
        int failuresInARow = 0;
        while (true) {
            long before = progress.getAsLong();
            try {
                return attempt.run();
            } catch (IOException e) {
                failuresInARow = progress.getAsLong() > before ? 1 : failuresInARow + 1;
                if (failuresInARow >= policy.maxAttempts()) {
                    throw new HubException(HubException.Kind.NETWORK, what + " failed after " + failuresInARow
                            + " attempt(s) in a row: " + describe(e), e);
                }
                Duration retryAfter = e instanceof TransientStatusException t ? t.retryAfter() : null;
                pause(what, policy.delayAfter(failuresInARow, retryAfter));
            }
        }
    }

    private void pause(String what, Duration delay) {
        try {
            sleeper.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.NETWORK, what + " was interrupted", e);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
