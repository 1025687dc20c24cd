package org.gptq4j.hub;

import java.nio.file.Path;

/**
 * Told how a download goes, file by file. Calls come from the downloading thread; keep them quick.
 * Files already in the cache report {@link #fileReady} only.
 */
public interface DownloadListener {

    /** Listens to nothing. */
    DownloadListener NONE = new DownloadListener() {};

    /** A file's transfer begins (possibly resuming: {@code resumedBytes} are already on disk). */
    default void fileStarted(String file, long totalBytes, long resumedBytes) {}

    /** Bytes arrived. */
    default void progress(DownloadProgress progress) {}

    /** A file is verified and in the snapshot, downloaded now or found in the cache. */
    default void fileReady(String file, Path path, boolean downloaded) {}
}
