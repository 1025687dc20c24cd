package org.gptq4j.cli;

import org.gptq4j.hub.DownloadListener;
import org.gptq4j.hub.DownloadProgress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads a model's weight files once, with a progress bar, so that the memory-mapped load that follows finds them in
 * the page cache: for a multi-gigabyte model the wait shows as progress instead of a slow first answer.
 */
final class WeightPreloader {
    private static final int CHUNK = 4 << 20;

    private WeightPreloader() {}

    static void preload(Path folder, DownloadListener progress) {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> weights = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            for (Path file : weights) read(file, progress);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model's weights in " + folder + ": " + e.getMessage(), e);
        }
    }

    private static void read(Path file, DownloadListener progress) throws IOException {
        String name = "loading " + file.getFileName();
        long start = System.nanoTime();
        try (FileChannel channel = FileChannel.open(file)) {
            long size = channel.size(), done = 0;
            progress.fileStarted(name, size, 0);
            ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
            for (int n; (n = channel.read(buffer.clear())) > 0; ) {
                done += n;
                progress.progress(new DownloadProgress(name, done, size, done / Math.max(1e-9, (System.nanoTime() - start) / 1e9)));
            }
        }
        progress.fileReady(name, file, true);
    }
}
