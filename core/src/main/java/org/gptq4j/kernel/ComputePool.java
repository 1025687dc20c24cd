package org.gptq4j.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of compute threads. {@link #parallelFor} splits a range into one contiguous slice per thread
 * (each thread streams its own rows of a weight matrix) and runs the first slice on the calling thread.
 *
 * <p>Workers wait for the next loop by spinning briefly and then parking, so the back-to-back loops of a forward pass
 * (a few hundred per token) cost microseconds each, not a thread hand-off through an executor queue. One loop runs
 * at a time: {@link #parallelFor} is meant to be called from one thread (the forward pass).
 */
public final class ComputePool implements AutoCloseable {

    /** Body of a parallel loop over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** Body of a parallel loop that also gets its slice number in {@code [0, threads)}, to pick per-thread scratch. */
    @FunctionalInterface
    public interface SliceBody {
        void run(int slice, int start, int end);
    }

    private static final long SPIN_NANOS = 200_000; // how long an idle worker spins before parking

    private final int threads;
    private final Thread[] workers;
    private final Workspace workspace = new Workspace();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile Job job = new Job(0, null, 0, 0, null); // the latest loop; workers run each generation once
    private volatile boolean closed;
    private int generation;

    private record Job(int generation, SliceBody body, int n, int slices, Thread caller) {}

    /**
     * @throws IllegalArgumentException for fewer than 1 or more than {@link #maxThreads()} threads
     */
    public ComputePool(int threads) {
        this.threads = checkThreads(threads, "threads");
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int slice = i + 1;
            workers[i] = new Thread(() -> work(slice), "gptq4j-compute-" + slice);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /**
     * The most threads a pool takes: 4 per available processor, and never fewer than 16. Every loop wakes every
     * worker, so threads beyond the processors only slow it down; a count like 100000 would spend minutes
     * creating threads and then crawl.
     */
    public static int maxThreads() {
        return Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
    }

    /**
     * {@code threads} if it is between 1 and {@link #maxThreads()}.
     *
     * @param what names the setting in the error, e.g. {@code threads} or {@code -Dgptq4j.threads}
     * @throws IllegalArgumentException otherwise, naming the bounds
     */
    public static int checkThreads(long threads, String what) {
        int max = maxThreads();
        if (threads < 1 || threads > max) {
            throw new IllegalArgumentException(what + " must be between 1 and " + max + " (4 per available processor,"
                    + " and never fewer than 16; " + Runtime.getRuntime().availableProcessors()
                    + " processors available), got " + threads);
        }
        return (int) threads;
    }

    /**
     * One thread per physical core is the right default for these kernels (SMT siblings share the SIMD units and the
     * memory bus); {@link KernelOptions} reads {@code -Dgptq4j.threads=N} over it, within {@link #checkThreads}.
     */
    public static int defaultThreads() {
        int logical = Runtime.getRuntime().availableProcessors();
        int perCore = siblingsPerCore();
        return Math.max(1, logical / perCore);
    }

    /** The value of {@code -Dgptq4j.threads}, checked as {@link #checkThreads} does. */
    static int threadsProperty(String value) {
        try {
            return checkThreads(Long.parseLong(value.strip()), "-Dgptq4j.threads");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Dgptq4j.threads must be a whole number of threads, got '"
                    + value.strip() + "'", e);
        }
    }

    /** SMT threads per core from sysfs (Linux), 1 when unknown. */
    private static int siblingsPerCore() {
        try {
            String list = java.nio.file.Files.readString(java.nio.file.Path.of("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list")).trim();
            int n = 0;
            for (String part : list.split(",")) {
                String[] range = part.split("-");
                n += range.length == 2 ? Integer.parseInt(range[1]) - Integer.parseInt(range[0]) + 1 : 1;
            }
            return Math.max(1, n);
        } catch (Exception e) {
            return 1;
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Scratch buffers reused by every call made with this pool (one forward pass at a time uses a pool), so that
     * the hot path allocates nothing once the buffers have grown to the largest batch.
     */
    public Workspace workspace() {
        return workspace;
    }

    /** Runs {@code body} over {@code [0, n)} split in contiguous slices, at most one per thread; returns when all are done. */
    public void parallelFor(int n, RangeBody body) {
        parallelForSlices(n, (slice, start, end) -> body.run(start, end));
    }

    /** Below this many multiply-adds a loop runs on the calling thread: waking workers would cost more. */
    public static final long SERIAL_WORK = 1 << 16;

    /** As {@link #parallelFor}, but serial when the whole loop is under {@link #SERIAL_WORK} multiply-adds. */
    public void parallelFor(int n, long work, RangeBody body) {
        if (work < SERIAL_WORK) {
            if (n > 0) body.run(0, n);
        } else {
            parallelFor(n, body);
        }
    }

    /** As {@link #parallelForSlices(int, SliceBody)}, but serial when the loop is under {@link #SERIAL_WORK} multiply-adds. */
    public void parallelForSlices(int n, long work, SliceBody body) {
        if (work < SERIAL_WORK) {
            if (n > 0) body.run(0, 0, n);
        } else {
            parallelForSlices(n, body);
        }
    }

    /** As {@link #parallelFor}, telling each body its slice number. */
    public void parallelForSlices(int n, SliceBody body) {
        int slices = Math.min(threads, n);
        if (slices <= 1) {
            if (n > 0) body.run(0, 0, n);
            return;
        }
        if (closed) throw new IllegalStateException("compute pool is closed");
        pending.set(slices - 1);
        job = new Job(++generation, body, n, slices, Thread.currentThread());
        for (int i = 0; i < slices - 1; i++) LockSupport.unpark(workers[i]);
        try {
            body.run(0, 0, (int) ((long) n / slices));
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
        // wait for the workers: spin (they finish within microseconds of us), then park
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (pending.get() > 0) {
            if (System.nanoTime() < spinUntil) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
        Throwable t = failure.getAndSet(null);
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IllegalStateException(t);
    }

    private void work(int slice) {
        int seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            Job j;
            while ((j = job).generation == seen && !closed) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = j.generation;
            int n = j.n, slices = j.slices;
            if (slice < slices) {
                try {
                    j.body.run(slice, (int) ((long) n * slice / slices), (int) ((long) n * (slice + 1) / slices));
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (pending.decrementAndGet() == 0) LockSupport.unpark(j.caller);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
