package org.gptq4j.hub;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the download of one file stands.
 *
 * @param file           the repository path, e.g. {@code model.safetensors}
 * @param bytesDone      bytes on disk so far, resumed bytes included
 * @param totalBytes     the file's size, or -1 when the server did not announce it
 * @param bytesPerSecond transfer rate of this session (resumed bytes not counted)
 */
public record DownloadProgress(String file, long bytesDone, long totalBytes, double bytesPerSecond) {

    /** Estimated time left, when size and rate are known. */
    public Optional<Duration> eta() {
        if (totalBytes < 0 || bytesPerSecond <= 0) return Optional.empty();
        double seconds = Math.max(0, totalBytes - bytesDone) / bytesPerSecond;
        return Optional.of(Duration.ofMillis((long) (seconds * 1000)));
    }

    /**
     * A byte count for people, in decimal units as the Hub shows sizes: {@code 999 B}, {@code 1.9 GB}; a negative count
     * (a size the server did not announce) is {@code unknown size}. The one format of every download message.
     */
    public static String formatBytes(long n) {
        if (n < 0) return "unknown size";
        if (n < 1000) return n + " B";
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int unit = -1;
        while (v >= 1000 && unit < units.length - 1) {
            v /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[unit]);
    }

    /** Done fraction in [0, 1], or -1 when the size is unknown. */
    public double fraction() {
        return totalBytes <= 0 ? (totalBytes == 0 ? 1 : -1) : Math.min(1.0, (double) bytesDone / totalBytes);
    }
}
