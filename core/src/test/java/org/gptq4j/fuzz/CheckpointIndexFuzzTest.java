package org.gptq4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.gptq4j.io.Checkpoint;
import org.gptq4j.io.CheckpointException;
import org.gptq4j.io.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Checkpoint#open} on a model folder whose {@code model.safetensors.index.json} and
 * {@code model_file_base_name} are fuzzed. The folder holds two valid shards, {@code a.safetensors} and
 * {@code b.safetensors}; a third valid file, {@code outside.safetensors}, sits beside the folder, so an index or base
 * name that leads out of the folder would open it. Outcome: a {@link CheckpointException}, or a checkpoint whose
 * every file is inside the folder.
 * <p>Input layout: the first line is the base name (empty line: none), the rest is the index file.
 */
class CheckpointIndexFuzzTest {
    private static final Path ROOT = Fuzz.folder("index");
    private static final Path FOLDER = ROOT.resolve("model");

    static {
        writeShard(FOLDER.resolve("a.safetensors"), "x");
        writeShard(FOLDER.resolve("b.safetensors"), "y");
        writeShard(ROOT.resolve("outside.safetensors"), "z");
    }

    @FuzzTest(maxDuration = "20s")
    void indexNeverLeadsOutOfTheFolder(byte[] input) {
        int newline = indexOf(input, (byte) '\n');
        String baseName = newline <= 0 ? null : new String(input, 0, newline, StandardCharsets.UTF_8);
        byte[] index = Arrays.copyOfRange(input, newline + 1, input.length);
        Fuzz.write(FOLDER.resolve("model.safetensors.index.json"), index);
        Fuzz.expectOnly(() -> {
            try (Checkpoint checkpoint = Checkpoint.open(FOLDER, baseName)) {
                for (Path file : checkpoint.files()) {
                    assertThat(file.toAbsolutePath().normalize().getParent()).isEqualTo(FOLDER.toAbsolutePath().normalize());
                }
            }
        }, CheckpointException.class);
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) if (bytes[i] == b) return i;
        return -1;
    }

    /** A valid one-tensor shard: {@code name} is an F32 vector of two values. */
    private static void writeShard(Path file, String name) {
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        new SafetensorsWriter().addF32(name, new long[] {2}, new float[] {1f, 2f}).write(file);
    }
}
