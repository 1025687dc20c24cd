package org.gptq4j.faults;

import org.gptq4j.engine.Engine;
import org.gptq4j.io.SafetensorsFile;
import org.gptq4j.io.Tensor;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Run in a child JVM by {@link MappedFileShrinkTest}: maps a weight file, truncates it underneath the mapping, reads,
 * and prints {@code OUTCOME <what happened>}. A JVM crash (SIGBUS not turned into an exception) shows as a missing
 * outcome line and a non-zero exit status in the parent.
 * <ul>
 *   <li>{@code tensor FILE}: read the last element of the last tensor through {@link Tensor#getFloat};</li>
 *   <li>{@code engine FOLDER}: start an {@link Engine}, truncate {@code model.safetensors} (the embeddings stay mapped),
 *       then generate.</li>
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
                        truncateToHeader(path, file);
                        System.out.println("OUTCOME read " + last.getFloat(last.elementCount() - 1));
                    }
                }
                case "engine" -> {
                    try (Engine engine = TinyEngine.startAt(path, 16)) {
                        Path weights = path.resolve("model.safetensors");
                        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
                            ch.truncate(4096);
                        }
                        System.out.println("OUTCOME generated " + engine.generate(TinyEngine.greedy(new int[] {1, 300, 301}, 4)).generatedTokenCount());
                    }
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

    /** Cuts the file right after its header: every tensor's pages are gone. */
    private static void truncateToHeader(Path path, SafetensorsFile file) throws IOException {
        long headerEnd = 8 + java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(path), 0, 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate(headerEnd);
        }
    }
}
