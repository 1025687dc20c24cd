package org.gptq4j.spring.openai;

import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.commons.logging.Log;

/**
 * A log line that any client can cause, written at most once per interval at its level (with the number of lines
 * left out since the last one), and each time at DEBUG: a client sending bad requests in a loop cannot flood the
 * log.
 */
final class ThrottledLog {
    private final Log log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private boolean started;
    private long nextNanos;
    private long skipped;

    ThrottledLog(Log log, Duration interval, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
    }

    /** At WARN, without a stack trace. */
    void warn(String message) {
        long left = permit();
        if (left >= 0) log.warn(message + note(left));
        else if (log.isDebugEnabled()) log.debug(message);
    }

    /** At ERROR, with the stack trace of {@code error}. */
    void error(String message, Throwable error) {
        long left = permit();
        if (left >= 0) log.error(message + note(left), error);
        else if (log.isDebugEnabled()) log.debug(message, error);
    }

    /** The lines left out since the last permitted one, or -1 when this one is left out too. */
    private synchronized long permit() {
        long now = nanoClock.getAsLong();
        if (started && now - nextNanos < 0) {
            skipped++;
            return -1;
        }
        started = true;
        nextNanos = now + intervalNanos;
        long left = skipped;
        skipped = 0;
        return left;
    }

    private static String note(long left) {
        return left == 0 ? "" : " (" + left + " more like it since the last one, logged at DEBUG)";
    }
}
