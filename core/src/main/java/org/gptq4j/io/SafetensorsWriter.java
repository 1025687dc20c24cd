package org.gptq4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@code .safetensors} file atomically: everything goes to a temporary file in the same folder, which is
 * renamed over the target only once complete, so a crash never leaves a half-written file behind.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor to write: its bytes are produced by {@code writer} (little-endian, exactly shape x dtype bytes). */
    public record Entry(String name, DType dtype, long[] shape, BodyWriter writer) {
        long byteSize() {
            long n = dtype.byteSize();
            for (long d : shape) n *= d;
            return n;
        }
    }

    @FunctionalInterface
    public interface BodyWriter {
        void write(OutputStream out) throws IOException;
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter add(Entry entry) {
        entries.add(entry);
        return this;
    }

    public SafetensorsWriter addF32(String name, long[] shape, float[] data) {
        return add(new Entry(name, DType.F32, shape, out -> {
            ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asFloatBuffer().put(data);
            out.write(buf.array());
        }));
    }

    public SafetensorsWriter addI32(String name, long[] shape, int[] data) {
        return add(new Entry(name, DType.I32, shape, out -> {
            ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buf.asIntBuffer().put(data);
            out.write(buf.array());
        }));
    }

    public SafetensorsWriter addF16(String name, long[] shape, short[] data) {
        return add(new Entry(name, DType.F16, shape, out -> {
            ByteBuffer buf = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            buf.asShortBuffer().put(data);
            out.write(buf.array());
        }));
    }

    public void write(Path target) {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode node = header.putObject(e.name);
            node.put("dtype", e.dtype.name());
            var shape = node.putArray("shape");
            for (long d : e.shape) shape.add(d);
            node.putArray("data_offsets").add(offset).add(offset + e.byteSize());
            offset += e.byteSize();
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8; // align the data area to 8 bytes, padding with spaces
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".partial");
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                out.write(json);
                for (int i = json.length; i < padded; i++) out.write(' ');
                for (Entry e : entries) {
                    CountingStream counted = new CountingStream(out);
                    e.writer.write(counted);
                    if (counted.count != e.byteSize()) {
                        throw new IllegalStateException("tensor " + e.name + " wrote " + counted.count + " bytes, expected " + e.byteSize());
                    }
                }
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temporary file is hidden and named after the target
                }
            }
        }
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
