package org.gptq4j.hub;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A response body that gives up when no byte arrives for a while, or when bytes arrive slower than its
 * {@link TransferPace} allows. {@code java.net.http} limits only the wait for response headers; a connection that
 * stalls mid-body would block a reader forever. A watchdog closes the stream after {@code idleLimit} without data,
 * and the blocked read then fails with an {@link HttpTimeoutException}, which the {@link Retrier} treats like any
 * dropped connection. {@link HubHttp} wraps every response body in one.
 */
final class IdleTimeoutInputStream extends FilterInputStream {
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gptq4j-hub-stall-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final long idleLimitNanos;
    private final TransferPace pace;
    private final ScheduledFuture<?> check;
    private volatile long lastActivity = System.nanoTime();
    private volatile boolean timedOut;

    IdleTimeoutInputStream(InputStream in, Duration idleLimit, TransferPace pace) {
        super(in);
        this.idleLimitNanos = idleLimit.toNanos();
        this.pace = pace;
        pace.opened();
        long period = Math.max(1, idleLimit.toMillis() / 4);
        this.check = WATCHDOG.scheduleAtFixedRate(this::closeIfIdle, period, period, TimeUnit.MILLISECONDS);
    }

    private void closeIfIdle() {
        if (System.nanoTime() - lastActivity > idleLimitNanos) {
            timedOut = true;
            check.cancel(false);
            try {
                in.close();
            } catch (IOException ignored) {
                // the reader sees the failure
            }
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            int n = in.read(b, off, len);
            if (timedOut) throw stalled();
            lastActivity = System.nanoTime();
            if (n > 0) pace.received(n);
            return n;
        } catch (IOException e) {
            if (timedOut) throw stalled();
            throw e;
        }
    }

    private HttpTimeoutException stalled() {
        return new HttpTimeoutException("no data received for " + Duration.ofNanos(idleLimitNanos).toMillis()
                + " ms");
    }

    @Override
    public void close() throws IOException {
        check.cancel(false);
        pace.closed();
        super.close();
    }
}
