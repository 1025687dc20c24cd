package org.gptq4j.hub;

import java.time.Duration;

/**
 * The minimum-throughput rule of one transfer ({@link HubConfig#minTransferRate()} over each
 * {@link HubConfig#transferRateWindow()}). Only time spent receiving a body counts (not backoff between attempts,
 * nor a wait the server asked for), summed over every attempt of the transfer: a server that sends a byte, stalls
 * until the idle timeout cuts it and sends one more byte on the resumed request is as slow as one that trickles.
 * A transfer found too slow ends with a {@link HubException.Kind#NETWORK} error, never retried: the retry count
 * resets whenever a download gets further, so retrying would let a trickle go on for days.
 *
 * <p>Used by one thread at a time (the one reading the body).
 */
final class TransferPace {
    private final long minBytesPerSecond;
    private final long windowNanos;
    private final String what;
    /** Receiving time of the bodies already closed. */
    private long receivingNanos;
    /** When the body now open was opened, or -1. */
    private long openedAt = -1;
    private long windowStart;
    private long bytesInWindow;

    /**
     * @param what names the transfer in the error, e.g. "download of file 'x' of org/name at revision main"
     */
    TransferPace(long minBytesPerSecond, Duration window, String what) {
        this.minBytesPerSecond = minBytesPerSecond;
        this.windowNanos = window.toNanos();
        this.what = what;
    }

    static TransferPace of(HubConfig config, String what) {
        return new TransferPace(config.minTransferRate(), config.transferRateWindow(), what);
    }

    /** A response body of this transfer starts arriving. */
    void opened() {
        if (openedAt < 0) openedAt = System.nanoTime();
    }

    /** The body is closed (read to its end, failed or abandoned). */
    void closed() {
        if (openedAt < 0) return;
        receivingNanos += System.nanoTime() - openedAt;
        openedAt = -1;
    }

    /**
     * {@code bytes} more arrived.
     *
     * @throws HubException NETWORK when a whole window went by at less than the minimum rate
     */
    void received(long bytes) {
        bytesInWindow += bytes;
        long now = receivingNanos + (openedAt < 0 ? 0 : System.nanoTime() - openedAt);
        long span = now - windowStart;
        if (minBytesPerSecond == 0 || span < windowNanos) return;
        double rate = bytesInWindow * 1e9 / span;
        if (rate < minBytesPerSecond) {
            throw new HubException(HubException.Kind.NETWORK, what + " is too slow: " + bytesInWindow
                    + " bytes in " + Duration.ofNanos(span).toMillis() + " ms, less than the minimum of "
                    + minBytesPerSecond + " bytes/s (HubConfig minTransferRate over transferRateWindow "
                    + Duration.ofNanos(windowNanos).toMillis() + " ms); a partial file download is kept and"
                    + " resumed by the next try");
        }
        windowStart = now;
        bytesInWindow = 0;
    }
}
