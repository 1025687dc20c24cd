package org.gptq4j.scheduler;

import java.time.Duration;

/** How a sequence ended: its kind, the error for {@link Kind#FAILED}, the time waited for {@link Kind#QUEUE_TIMEOUT}. */
public record SequenceEnd(Kind kind, Throwable error, Duration waited) {
    public enum Kind {
        /** Its callbacks asked to stop (stop token or stop sequence). */
        STOPPED,
        /** It generated its maximum number of new tokens. */
        LENGTH,
        /** It was cancelled. */
        CANCELLED,
        /** Its callbacks or the forward pass failed; see {@link #error()}. */
        FAILED,
        /** It waited for admission longer than the queue timeout. */
        QUEUE_TIMEOUT,
        /** The scheduler shut down before it ended. */
        SHUTDOWN
    }

    static SequenceEnd of(Kind kind) {
        return new SequenceEnd(kind, null, null);
    }

    static SequenceEnd failed(Throwable error) {
        return new SequenceEnd(Kind.FAILED, error, null);
    }
}
