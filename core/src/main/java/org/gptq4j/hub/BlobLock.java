package org.gptq4j.hub;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive right to download one blob: a lock file ({@code .locks/models--org--name/{etag}.lock}, where
 * huggingface_hub keeps its own) locked with {@link FileChannel#lock()} against other processes, plus an in-process
 * lock, since a JVM may hold a file lock only once.
 */
final class BlobLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private BlobLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /** Waits until the lock is ours. */
    static BlobLock acquire(Path lockFile) throws IOException {
        Path key = lockFile.toAbsolutePath().normalize();
        ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
        threadLock.lock();
        FileChannel channel = null;
        try {
            Files.createDirectories(key.getParent());
            channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new BlobLock(threadLock, channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            if (channel != null) channel.close();
            threadLock.unlock();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try (channel) {
            fileLock.release();
        } finally {
            threadLock.unlock();
        }
    }
}
