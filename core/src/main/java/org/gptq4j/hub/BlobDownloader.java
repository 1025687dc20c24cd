package org.gptq4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings one blob into the cache: downloads into {@code blobs/{etag}.incomplete}, resuming with {@code Range} after
 * a dropped connection (or after another process gave up), checks the size and the etag's hash, and only then
 * renames it to {@code blobs/{etag}}. A corrupt or oversize download is deleted, never cached; one that failed on
 * the network (dropped, stalled, too slow) keeps its {@code .incomplete} file, which the next try resumes.
 * The {@link BlobLock} makes concurrent downloads of the same blob, by threads or processes, take turns: the second
 * finds the blob done.
 *
 * <p>No file grows past its size limit: the size the Hub announced ({@code X-Linked-Size}, else
 * {@code Content-Length}). An LFS file always announces one; one that does not is refused before any byte is
 * fetched. A file stored in git may announce none, and is then bound by {@link HubConfig#maxGitFileBytes()}, as is
 * the size it announces.
 */
final class BlobDownloader {
    private static final int BUFFER_BYTES = 1 << 16;
    private static final Pattern CONTENT_RANGE_START = Pattern.compile("bytes (\\d+)-");

    private final HubHttp http;
    private final Retrier retrier;
    private final HubConfig config;

    BlobDownloader(HubHttp http, Retrier retrier, HubConfig config) {
        this.http = http;
        this.retrier = retrier;
        this.config = config;
    }

    /**
     * The most bytes a file may have: its announced size, or for a git file that announces none
     * {@link HubConfig#maxGitFileBytes()}.
     *
     * @param bytes     the limit
     * @param announced whether it is the size the Hub announced (then the file must be exactly that long)
     */
    private record SizeLimit(long bytes, boolean announced) {}

    /**
     * Makes sure {@code blobs/{etag}} holds the verified file.
     *
     * @return whether it had to be downloaded (false: it was already cached)
     */
    boolean fetch(RepoCache cache, FileMetadata meta, Target target, DownloadListener listener) {
        Path blob = cache.blob(meta.etag());
        if (Files.isRegularFile(blob)) return false;
        SizeLimit limit = sizeLimit(meta, target);
        try (BlobLock ignored = BlobLock.acquire(cache.lockFile(meta.etag()))) {
            if (Files.isRegularFile(blob)) return false; // another thread or process finished it meanwhile
            Path partial = cache.incomplete(meta.etag());
            Files.createDirectories(partial.getParent());
            long resumed = sizeOf(partial);
            if (resumed > limit.bytes()) {
                Files.delete(partial);
                resumed = 0;
            }
            listener.fileStarted(target.file(), meta.size(), resumed);
            ProgressMeter meter = new ProgressMeter(target.file(), meta.size(), resumed, listener);
            String what = "download of " + target.describe();
            TransferPace pace = TransferPace.of(config, what);
            retrier.run(what, () -> transfer(meta, limit, partial, target, meter, pace), () -> sizeOf(partial));
            verify(meta, partial, target);
            RepoCache.moveReplacing(partial, blob);
            return true;
        } catch (IOException e) {
            throw RepoCache.ioFailure("cannot write the download of " + target.describe() + " in " + cache, e);
        }
    }

    /** The size limit of {@code meta}'s file, refusing an LFS file without a size and an oversize git file. */
    private SizeLimit sizeLimit(FileMetadata meta, Target target) {
        if (meta.etag().isLfs() && meta.size() < 0) {
            throw new HubException(HubException.Kind.PROTOCOL, "refused " + target.describe() + ": the Hub announced"
                    + " no size for this LFS file (no " + HubHttp.HEADER_LINKED_SIZE + " or Content-Length header)");
        }
        if (!meta.etag().isLfs() && meta.size() > config.maxGitFileBytes()) {
            throw new HubException(HubException.Kind.INTEGRITY, "refused " + target.describe() + ": the Hub announced "
                    + meta.size() + " bytes, more than the " + config.maxGitFileBytes() + " allowed for a file stored in"
                    + " git (HubConfig maxGitFileBytes)");
        }
        return meta.size() >= 0 ? new SizeLimit(meta.size(), true) : new SizeLimit(config.maxGitFileBytes(), false);
    }

    /** One attempt: appends what the server sends from the current end of the partial file. */
    private Void transfer(FileMetadata meta, SizeLimit limit, Path partial, Target target, ProgressMeter meter,
                          TransferPace pace) throws IOException {
        long offset = sizeOf(partial);
        if (limit.announced() && offset == limit.bytes()) return null; // complete; verification decides
        HttpResponse<InputStream> response = http.openDownload(meta.location(), offset, target, pace);
        try (InputStream body = response.body()) {
            if (response.statusCode() == 416) {
                Files.deleteIfExists(partial);
                throw new IOException("server refused to resume at byte " + offset + " (HTTP 416); starting over");
            }
            long start = startOf(response, offset, partial);
            long announced = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (announced > limit.bytes() - start) {
                throw oversize(target, limit, start + announced, partial);
            }
            try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                out.truncate(start);
                out.position(start);
                copy(body, out, limit, target, meter, partial);
            }
        }
        long got = sizeOf(partial);
        if (meta.size() >= 0 && got < meta.size()) {
            throw new IOException("connection closed after " + got + " of " + meta.size() + " bytes");
        }
        return null;
    }

    private void copy(InputStream body, FileChannel out, SizeLimit limit, Target target, ProgressMeter meter,
                      Path partial) throws IOException {
        byte[] buffer = new byte[BUFFER_BYTES];
        for (int n; (n = body.read(buffer)) >= 0; ) {
            if (out.position() + n > limit.bytes()) {
                throw oversize(target, limit, out.position() + n, partial);
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

    private static HubException oversize(Target target, SizeLimit limit, long bytes, Path partial)
            throws IOException {
        Files.deleteIfExists(partial);
        return new HubException(HubException.Kind.INTEGRITY, "refused " + target.describe() + ": the server sent "
                + bytes + " bytes or more, " + (limit.announced() ? "the Hub announced " + limit.bytes()
                : "more than the " + limit.bytes() + " allowed for a file stored in git that announces no size"
                + " (HubConfig maxGitFileBytes); the download was deleted"));
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
