package org.gptq4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Writable copies of read-only fixture checkpoints, for tests that alter one thing and check what the loader makes of
 * it: rewrite a JSON file, add, drop or convert tensors, or write a safetensors file byte by byte.
 */
public final class CheckpointCopy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointCopy() {}

    /** Copies the files of {@code fixture} into {@code tempDir/<fixture name>} and returns that folder. */
    public static Path of(Path fixture, Path tempDir) {
        Path copy = tempDir.resolve(fixture.getFileName());
        try (Stream<Path> files = Files.list(fixture)) {
            Files.createDirectories(copy);
            for (Path f : files.toList()) {
                Path target = copy.resolve(f.getFileName());
                Files.copy(f, target);
                target.toFile().setWritable(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return copy;
    }

    /** Replaces {@code file} with {@code text}. */
    public static void write(Path file, String text) {
        write(file, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void write(Path file, byte[] bytes) {
        try {
            Files.deleteIfExists(file);
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Edits the JSON object in {@code file}. */
    public static void editJson(Path file, Consumer<ObjectNode> edit) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
            edit.accept(root);
            write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Rewrites a safetensors file through {@code edit}, which receives one entry per tensor (its bytes copied) and may
     * remove, add or replace entries before they are written back.
     */
    public static void editTensors(Path file, Consumer<List<SafetensorsWriter.Entry>> edit) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            for (Tensor t : in.tensors().values()) entries.add(copyOf(t));
        }
        edit.accept(entries);
        SafetensorsWriter writer = new SafetensorsWriter();
        entries.forEach(writer::add);
        writer.write(file);
    }

    /** The tensor's bytes as a writer entry (copied, so it outlives the file it came from). */
    public static SafetensorsWriter.Entry copyOf(Tensor t) {
        byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
        return new SafetensorsWriter.Entry(t.name(), t.dtype(), t.shape().clone(), out -> out.write(bytes));
    }

    /**
     * Replaces element {@code index} of an F16 tensor in place, in the file's bytes: size, header and every other byte
     * stay as they are.
     */
    public static void editHalf(Path file, String tensor, long index, UnaryOperator<Float> change) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int headerLength = Math.toIntExact(b.getLong(0));
            JsonNode entry = JSON.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8)).get(tensor);
            if (entry == null || !entry.get("dtype").asText().equals("F16")) throw new IllegalArgumentException(tensor + " is not an F16 tensor of " + file);
            int at = Math.toIntExact(8 + headerLength + entry.get("data_offsets").get(0).asLong() + 2 * index);
            b.putShort(at, Float.floatToFloat16(change.apply(Float.float16ToFloat(b.getShort(at)))));
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tensor of {@code dtype} and {@code shape} whose bytes are all zero (0.0 in every float type). */
    public static SafetensorsWriter.Entry zeros(String name, DType dtype, long... shape) {
        long n = dtype.byteSize();
        for (long d : shape) n *= d;
        byte[] bytes = new byte[Math.toIntExact(n)];
        return new SafetensorsWriter.Entry(name, dtype, shape, out -> out.write(bytes));
    }

    /** A file of the raw safetensors layout: the header's length (u64 little-endian), the header, then data bytes. */
    public static Path rawSafetensors(Path file, String header, int dataBytes) {
        return rawSafetensors(file, header.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    public static Path rawSafetensors(Path file, byte[] header, int dataBytes) {
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header);
        write(file, buf.array());
        return file;
    }
}
