package org.gptq4j.faults;

import org.gptq4j.engine.Engine;
import org.gptq4j.io.SafetensorsFile;
import org.gptq4j.io.Tensor;
import org.gptq4j.kernel.CacheRun;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Run in a child JVM by {@link MappedFileShrinkTest}: truncates a weight file (or a repack cache file) underneath what
 * was loaded from it, reads, and prints {@code OUTCOME <what happened>}. A JVM crash (SIGBUS not turned into an
 * exception) shows as a missing outcome line and a non-zero exit status in the parent.
 * <ul>
 *   <li>{@code tensor FILE}: read the last element of the last tensor of a still-open {@link SafetensorsFile} through
 *       {@link Tensor#getFloat} (what a Java read of a vanished mapping does);</li>
 *   <li>{@code engine FOLDER}: start an {@link Engine}, truncate {@code model.safetensors} to 4096 bytes, then generate;</li>
 *   <li>{@code model FOLDER CUT [CACHE_DIR]}: load the model (on the native kernels; from the repack cache in
 *       {@code CACHE_DIR}, written by a first load, when given), truncate {@code model.safetensors} to {@code CUT} bytes
 *       and every cache file to none, and compare the logits of a forward pass with those from before.</li>
 * </ul>
 */
public final class ShrinkProbe {
    private ShrinkProbe() {}

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[1]);
        try {
            switch (args[0]) {
                case "tensor" -> {
                    try (SafetensorsFile file = SafetensorsFile.open(path)) {
                        Tensor last = file.tensors().values().stream().reduce((a, b) -> b).orElseThrow();
                        truncate(path, headerEnd(path));
                        System.out.println("OUTCOME read " + last.getFloat(last.elementCount() - 1));
                    }
                }
                case "engine" -> {
                    try (Engine engine = TinyEngine.startAt(path, 16)) {
                        truncate(path.resolve("model.safetensors"), 4096);
                        System.out.println("OUTCOME generated " + engine.generate(TinyEngine.greedy(new int[] {1, 300, 301}, 4)).generatedTokenCount());
                    }
                }
                case "model" -> {
                    Path cacheDir = args.length > 3 ? Path.of(args[3]) : null;
                    if (cacheDir != null) CacheRun.run(path, cacheDir); // writes the cache: the next loads read it
                    float[] before = CacheRun.run(path, cacheDir).logits();
                    float[] after = CacheRun.run(path, cacheDir, () -> {
                        truncate(path.resolve("model.safetensors"), Long.parseLong(args[2]));
                        if (cacheDir != null) for (Path f : CacheRun.files(cacheDir)) truncate(f, 0);
                    }).logits();
                    System.out.println("OUTCOME " + (Arrays.equals(before, after) ? "same" : "changed"));
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        } catch (Throwable t) {
            Throwable root = t;
            while (root.getCause() != null) root = root.getCause();
            System.out.println("OUTCOME " + t.getClass().getName() + ": " + t.getMessage() + " / root " + root.getClass().getName()
                    + ": " + root.getMessage());
        }
        System.out.flush();
    }

    /** Where the header of a safetensors file ends (the first data byte). */
    static long headerEnd(Path path) throws IOException {
        byte[] length = new byte[8];
        try (var in = Files.newInputStream(path)) {
            if (in.readNBytes(length, 0, 8) != 8) throw new IOException(path + " is too short");
        }
        return 8 + java.nio.ByteBuffer.wrap(length).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static void truncate(Path path, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }
}
