package org.gptq4j.spring;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.gptq4j.hub.DownloadListener;
import org.gptq4j.hub.DownloadProgress;

/**
 * Reports a model download in the application log: each file as it starts and ends, and its progress every 10%
 * (log files are no terminals, so no progress bar redrawn in place).
 */
final class LoggingDownloadListener implements DownloadListener {
    private static final Log LOG = LogFactory.getLog(GptqModelLoader.class);

    private final Map<String, Integer> lastDecile = new ConcurrentHashMap<>();

    @Override
    public void fileStarted(String file, long totalBytes, long resumedBytes) {
        lastDecile.put(file, 0);
        LOG.info("Downloading " + file + " (" + DownloadProgress.formatBytes(totalBytes)
                + (resumedBytes > 0 ? ", resuming at " + DownloadProgress.formatBytes(resumedBytes) : "") + ")");
    }

    @Override
    public void progress(DownloadProgress progress) {
        double fraction = progress.fraction();
        if (fraction < 0) return;
        int decile = (int) Math.floor(fraction * 10);
        Integer previous = lastDecile.put(progress.file(), decile);
        if (decile == 10 || previous != null && decile <= previous) return;
        LOG.info(String.format(Locale.ROOT, "%s: %d%% of %s, %s/s%s", progress.file(), decile * 10,
                DownloadProgress.formatBytes(progress.totalBytes()), DownloadProgress.formatBytes((long) progress.bytesPerSecond()),
                progress.eta().map(eta -> ", " + eta.toSeconds() + " s left").orElse("")));
    }

    @Override
    public void fileReady(String file, Path path, boolean downloaded) {
        lastDecile.remove(file);
        LOG.info(file + (downloaded ? " downloaded" : " found in the cache"));
    }
}
