package org.gptq4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One memory-mapped {@code .safetensors} file. Layout: an 8-byte little-endian header length N, N bytes of
 * JSON ({@code name -> {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the data area.
 * The header is validated before anything is trusted; tensors are zero-copy {@link MemorySegment} slices
 * that stay valid until {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The same bound as the reference implementation: a header over 100 MB is refused. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path path;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps the file read-only and validates its header. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            MemorySegment file = fileSize == 0 ? MemorySegment.NULL : channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena);
            Parsed parsed = parse(path, file, fileSize);
            return new SafetensorsFile(path, arena, parsed.tensors, parsed.metadata);
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private record Parsed(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private static Parsed parse(Path path, MemorySegment file, long fileSize) {
        if (fileSize < 8) {
            throw new CheckpointException(path + ": not a safetensors file (" + fileSize + " bytes, shorter than the 8-byte header length)");
        }
        long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(path + ": corrupt header: declared header length " + headerLength
                    + " is outside [2, " + MAX_HEADER_BYTES + "]");
        }
        if (8 + headerLength > fileSize) {
            throw new CheckpointException(path + ": truncated file: header of " + headerLength
                    + " bytes does not fit in a file of " + fileSize + " bytes");
        }
        byte[] headerBytes = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(path + ": corrupt header: not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(path + ": corrupt header: expected a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals("__metadata__")) {
                if (!node.isObject()) throw new CheckpointException(path + ": corrupt header: __metadata__ is not an object");
                node.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw new CheckpointException(path + ": corrupt header: __metadata__." + m.getKey() + " is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            entries.add(parseEntry(path, name, node, dataSize));
        }

        // Tensors must not overlap: sort by start offset and check neighbours.
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.begin < prev.end) {
                throw new CheckpointException(path + ": corrupt header: tensors " + prev.name + " [" + prev.begin + ", "
                        + prev.end + ") and " + cur.name + " [" + cur.begin + ", " + cur.end + ") overlap");
            }
        }

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            MemorySegment slice = file.asSlice(dataStart + e.begin, e.end - e.begin);
            tensors.put(e.name, new Tensor(e.name, e.dtype, e.shape, slice));
        }
        return new Parsed(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        String where = path + ": tensor " + name;
        if (!node.isObject()) throw new CheckpointException(where + ": header entry is not an object");
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) throw new CheckpointException(where + ": missing dtype");
        DType dtype = DType.parse(dtypeNode.asText()).orElseThrow(() -> new CheckpointException(
                where + ": unknown dtype '" + dtypeNode.asText() + "' (known: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)"));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) throw new CheckpointException(where + ": missing shape");
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new CheckpointException(where + ": shape dimension " + d + " is not a non-negative integer");
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new CheckpointException(where + ": shape " + shapeNode + " overflows");
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new CheckpointException(where + ": data_offsets must be two integers");
        }
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] are not an interval");
        }
        if (end > dataSize) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] run past the data area of "
                    + dataSize + " bytes (truncated file?)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(where + ": shape " + shapeNode + " overflows");
        }
        if (end - begin != expected) {
            throw new CheckpointException(where + ": holds " + (end - begin) + " bytes but shape " + shapeNode + " of "
                    + dtype + " needs " + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    public Path path() {
        return path;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** Unmaps the file; tensors obtained from it must not be used afterwards. */
    @Override
    public void close() {
        arena.close();
    }

}
