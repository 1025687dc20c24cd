package org.gptq4j.hub;

/** Turns bytes written into {@link DownloadProgress} events: running total, rate of this session, ETA. */
final class ProgressMeter {
    private final String file;
    private final long total;
    private final long resumedFrom;
    private final long startNanos = System.nanoTime();
    private final DownloadListener listener;
    private long done;

    ProgressMeter(String file, long total, long resumedFrom, DownloadListener listener) {
        this.file = file;
        this.total = total;
        this.resumedFrom = resumedFrom;
        this.done = resumedFrom;
        this.listener = listener;
    }

    /** The file now holds {@code bytesOnDisk} bytes. */
    void update(long bytesOnDisk) {
        done = bytesOnDisk;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double rate = seconds > 0 ? Math.max(0, done - resumedFrom) / seconds : 0;
        listener.progress(new DownloadProgress(file, done, total, rate));
    }
}
