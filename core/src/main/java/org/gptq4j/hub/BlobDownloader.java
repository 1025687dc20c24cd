package org.gptq4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings one blob into the cache: downloads into {@code blobs/{etag}.incomplete}, resuming with {@code Range} after
 * a dropped connection (or after another process gave up), checks the size and the etag's hash, and only then
 * renames it to {@code blobs/{etag}}. A corrupt download is deleted, never cached. The {@link BlobLock} makes
 * concurrent downloads of the same blob, by threads or processes, take turns: the second finds the blob done.
 */
final class BlobDownloader {
    private static final int BUFFER_BYTES = 1 << 16;
    private static final Pattern CONTENT_RANGE_START = Pattern.compile("bytes (\\d+)-");

    private final HubHttp http;
    private final Retrier retrier;
    private final Duration idleLimit;

    BlobDownloader(HubHttp http, Retrier retrier, Duration idleLimit) {
        this.http = http;
        this.retrier = retrier;
        this.idleLimit = idleLimit;
    }

    /**
     * Makes sure {@code blobs/{etag}} holds the verified file.
     *
     * @return whether it had to be downloaded (false: it was already cached)
     */
    boolean fetch(RepoCache cache, FileMetadata meta, Target target, DownloadListener listener) {
        Path blob = cache.blob(meta.etag());
        if (Files.isRegularFile(blob)) return false;
        try (BlobLock ignored = BlobLock.acquire(cache.lockFile(meta.etag()))) {
            if (Files.isRegularFile(blob)) return false; // another thread or process finished it meanwhile
            Path partial = cache.incomplete(meta.etag());
            Files.createDirectories(partial.getParent());
            long resumed = sizeOf(partial);
            if (meta.size() >= 0 && resumed > meta.size()) {
                Files.delete(partial);
                resumed = 0;
            }
            listener.fileStarted(target.file(), meta.size(), resumed);
            ProgressMeter meter = new ProgressMeter(target.file(), meta.size(), resumed, listener);
            retrier.run("download of " + target.describe(), () -> transfer(meta, partial, target, meter),
                    () -> sizeOf(partial));
            verify(meta, partial, target);
            RepoCache.moveReplacing(partial, blob);
            return true;
        } catch (IOException e) {
            throw RepoCache.ioFailure("cannot write the download of " + target.describe() + " in " + cache, e);
        }
    }

    /** One attempt: appends what the server sends from the current end of the partial file. */
    private Void transfer(FileMetadata meta, Path partial, Target target, ProgressMeter meter) throws IOException {
        long offset = sizeOf(partial);
        if (meta.size() >= 0 && offset == meta.size()) return null; // complete; verification decides
        HttpResponse<InputStream> response = http.openDownload(meta.location(), offset, target);
        try (InputStream body = new IdleTimeoutInputStream(response.body(), idleLimit)) {
            if (response.statusCode() == 416) {
                Files.deleteIfExists(partial);
                throw new IOException("server refused to resume at byte " + offset + " (HTTP 416); starting over");
            }
            long start = startOf(response, offset, partial);
            long expectedBody = meta.size() >= 0 ? meta.size() - start : -1;
            long announced = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (expectedBody >= 0 && announced > expectedBody) {
                throw oversize(target, meta, start + announced, partial);
            }
            try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                out.truncate(start);
                out.position(start);
                copy(body, out, meta, target, meter, partial);
            }
        }
        long got = sizeOf(partial);
        if (meta.size() >= 0 && got < meta.size()) {
            throw new IOException("connection closed after " + got + " of " + meta.size() + " bytes");
        }
        return null;
    }

    private void copy(InputStream body, FileChannel out, FileMetadata meta, Target target, ProgressMeter meter,
                      Path partial) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        for (int n; (n = body.read(buffer)) >= 0; ) {
            if (meta.size() >= 0 && out.position() + n > meta.size()) {
                throw oversize(target, meta, out.position() + n, partial);
            }
            ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
            while (chunk.hasRemaining()) out.write(chunk);
            meter.update(out.position());
        }
    }

    /** Where the response body starts in the file: the ranged offset for a 206, zero for a whole-file 200. */
    private static long startOf(HttpResponse<?> response, long offset, Path partial) throws IOException {
        if (response.statusCode() != 206) return 0;
        String range = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE_START.matcher(range);
        if (!m.lookingAt() || Long.parseLong(m.group(1)) != offset) {
            Files.deleteIfExists(partial);
            throw new IOException("server resumed at the wrong place (Content-Range '" + range + "', asked for byte "
                    + offset + "); starting over");
        }
        return offset;
    }

    private static void verify(FileMetadata meta, Path partial, Target target) throws IOException {
        long size = sizeOf(partial);
        if (meta.size() >= 0 && size != meta.size()) {
            Files.deleteIfExists(partial);
            throw new HubException(HubException.Kind.INTEGRITY, "refused " + target.describe() + ": got " + size
                    + " bytes, the Hub announced " + meta.size());
        }
        if (!meta.etag().matches(partial)) {
            Files.deleteIfExists(partial);
            throw new HubException(HubException.Kind.INTEGRITY, "refused " + target.describe() + ": its content"
                    + " does not match its " + (meta.etag().isLfs() ? "SHA-256 " : "git SHA-1 ") + meta.etag()
                    + "; the corrupt download was deleted, nothing was cached");
        }
    }

    private static HubException oversize(Target target, FileMetadata meta, long bytes, Path partial)
            throws IOException {
        Files.deleteIfExists(partial);
        return new HubException(HubException.Kind.INTEGRITY, "refused " + target.describe() + ": the server sent "
                + bytes + " bytes or more, the Hub announced " + meta.size());
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
