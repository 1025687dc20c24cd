package org.gptq4j.tools;

import org.gptq4j.hub.DownloadListener;
import org.gptq4j.hub.DownloadProgress;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar for a terminal, redrawn in place with {@code \r}:
 * <pre>model.safetensors  [#########...........]  45%  1.9/4.2 GB  38.5 MB/s  ETA 1m02s</pre>
 * Redraws at most every {@code 100 ms} (and always at the end of a file), so it costs nothing per buffer.
 */
public final class ConsoleProgressBar implements DownloadListener {
    private static final int BAR_WIDTH = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final LongSupplier nanoClock;
    private long lastDraw = Long.MIN_VALUE;
    private int lastLength;

    /** A bar on {@code out}, usually {@code System.err}. */
    public ConsoleProgressBar(PrintStream out) {
        this(out, System::nanoTime);
    }

    ConsoleProgressBar(PrintStream out, LongSupplier nanoClock) {
        this.out = Objects.requireNonNull(out);
        this.nanoClock = nanoClock;
    }

    @Override
    public synchronized void fileStarted(String file, long totalBytes, long resumedBytes) {
        lastDraw = Long.MIN_VALUE;
        draw(new DownloadProgress(file, resumedBytes, totalBytes, 0));
    }

    @Override
    public synchronized void progress(DownloadProgress progress) {
        long now = nanoClock.getAsLong();
        boolean finished = progress.totalBytes() >= 0 && progress.bytesDone() >= progress.totalBytes();
        if (!finished && lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) return;
        lastDraw = now;
        draw(progress);
    }

    @Override
    public synchronized void fileReady(String file, Path path, boolean downloaded) {
        if (downloaded) {
            out.print('\n');
        } else {
            out.print(pad(file + "  (cached)") + "\n");
        }
        lastLength = 0;
        out.flush();
    }

    /** The bar's text for {@code p}, without the carriage return. */
    static String render(DownloadProgress p) {
        StringBuilder line = new StringBuilder(p.file()).append("  ");
        double fraction = p.fraction();
        if (fraction >= 0) {
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            line.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%%  ", (int) Math.floor(fraction * 100)))
                    .append(DownloadProgress.formatBytes(p.bytesDone())).append('/').append(DownloadProgress.formatBytes(p.totalBytes()));
        } else {
            line.append(DownloadProgress.formatBytes(p.bytesDone()));
        }
        if (p.bytesPerSecond() > 0) line.append("  ").append(DownloadProgress.formatBytes((long) p.bytesPerSecond())).append("/s");
        p.eta().ifPresent(eta -> line.append("  ETA ").append(duration(eta)));
        return line.toString();
    }

    private void draw(DownloadProgress p) {
        out.print("\r" + pad(render(p)));
        out.flush();
    }

    /** Pads with spaces so a shorter line fully covers the previous one. */
    private String pad(String line) {
        String padded = line.length() < lastLength ? line + " ".repeat(lastLength - line.length()) : line;
        lastLength = line.length();
        return padded;
    }

    static String duration(Duration d) {
        long s = d.toSeconds();
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
