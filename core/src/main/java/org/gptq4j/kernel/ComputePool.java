package org.gptq4j.kernel;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A persistent pool of compute threads. {@link #parallelFor} splits a range into one contiguous slice per thread
 * (each thread streams its own rows of a weight matrix) and runs the first slice on the calling thread.
 */
public final class ComputePool implements AutoCloseable {

    /** Body of a parallel loop over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private final int threads;
    private final ExecutorService workers;

    public ComputePool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "gptq4j-compute");
            t.setDaemon(true);
            return t;
        });
    }

    /** One thread per physical core is the right default for memory-bound kernels; SMT siblings add little. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, n)} split in contiguous slices, at most one per thread; returns when all are done. */
    public void parallelFor(int n, RangeBody body) {
        int slices = Math.min(threads, n);
        if (slices <= 1) {
            if (n > 0) body.run(0, n);
            return;
        }
        CountDownLatch done = new CountDownLatch(slices - 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int s = 1; s < slices; s++) {
            int start = (int) ((long) n * s / slices), end = (int) ((long) n * (s + 1) / slices);
            workers.execute(() -> {
                try {
                    body.run(start, end);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            body.run(0, (int) ((long) n / slices));
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // finish the step: workers still write into shared buffers
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IllegalStateException(t);
    }

    @Override
    public void close() {
        if (workers != null) workers.shutdownNow();
    }
}
