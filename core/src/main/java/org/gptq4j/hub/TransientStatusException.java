package org.gptq4j.hub;

import java.io.IOException;
import java.time.Duration;

/** An HTTP status worth retrying (429 or 5xx), with the server's {@code Retry-After} if it sent one. */
final class TransientStatusException extends IOException {
    private final int status;
    private final transient Duration retryAfter;

    TransientStatusException(int status, Duration retryAfter, String what) {
        super("HTTP " + status + " from " + what);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    int status() {
        return status;
    }

    /** What the server asked us to wait, or {@code null}. */
    Duration retryAfter() {
        return retryAfter;
    }
}
