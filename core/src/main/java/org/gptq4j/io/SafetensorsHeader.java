package org.gptq4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file, validated before anything in it is trusted. The rules are those of the
 * reference implementation (huggingface/safetensors, {@code SafeTensors::read_metadata} and {@code Metadata::validate}
 * in {@code safetensors/src/tensor.rs}), with two deliberate extra strictnesses noted below:
 * <ul>
 *   <li>the header is at most {@value #MAX_BYTES} bytes of UTF-8 holding one JSON object;</li>
 *   <li>every tensor names a known dtype, a shape of non-negative integers whose product does not overflow, and
 *       {@code data_offsets} of two integers whose difference is exactly product(shape) x dtype size;</li>
 *   <li>sorted by offset, the tensors tile the data area with no overlap and no hole, starting at byte 0 and ending at
 *       the last byte of the file. The format description alone would allow gaps; the reference refuses them
 *       ({@code InvalidOffset} when a tensor does not start where the previous one ended,
 *       {@code MetadataIncompleteBuffer} when the last one does not end at the end of the file), and so do we: a
 *       file the reference cannot open is corrupt, whatever our reader could make of it;</li>
 *   <li>extra strictness: a key that appears twice is refused (the reference keeps one silently: which tensor would
 *       that be?), and so is anything after the JSON object other than the padding spaces writers add.</li>
 * </ul>
 * Every error is a {@link CheckpointException} whose message starts with the file and names the tensor concerned.
 */
record SafetensorsHeader(List<Entry> entries, Map<String, String> metadata) {

    /** The reference implementation's bound ({@code MAX_HEADER_SIZE = 100_000_000}). */
    static final long MAX_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One tensor's description: its bytes are {@code [begin, end)} of the data area. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    /**
     * Checks the header length declared in the first 8 bytes of a file of {@code fileSize} bytes and returns it.
     * {@code declared} is the raw little-endian u64, read as a signed long (so that huge values are negative).
     */
    static long checkDeclaredLength(Path path, long declared, long fileSize) {
        if (declared < 2 || declared > MAX_BYTES) {
            throw new CheckpointException(path + ": corrupt header: declared header length "
                    + Long.toUnsignedString(declared) + " is outside [2, " + MAX_BYTES + "]");
        }
        if (8 + declared > fileSize) {
            throw new CheckpointException(path + ": truncated file: the header of " + declared
                    + " bytes does not fit in a file of " + fileSize + " bytes");
        }
        return declared;
    }

    /** Parses and validates the header bytes of a file whose data area holds {@code dataSize} bytes. */
    static SafetensorsHeader parse(Path path, byte[] headerBytes, long dataSize) {
        JsonNode root = readJson(path, headerBytes);
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals("__metadata__")) {
                readMetadata(path, field.getValue(), metadata);
            } else {
                entries.add(parseEntry(path, field.getKey(), field.getValue(), dataSize));
            }
        }
        requireTiling(path, entries, dataSize);
        return new SafetensorsHeader(List.copyOf(entries), Map.copyOf(metadata));
    }

    private static JsonNode readJson(Path path, byte[] headerBytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(path + ": corrupt header: not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(path + ": corrupt header: not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(path + ": corrupt header: expected a JSON object, found "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        return root;
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> metadata) {
        if (!node.isObject()) throw new CheckpointException(path + ": corrupt header: __metadata__ is not an object");
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual()) {
                throw new CheckpointException(path + ": corrupt header: __metadata__." + m.getKey() + " is not a string");
            }
            metadata.put(m.getKey(), m.getValue().asText());
        }
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        String where = path + ": tensor " + name;
        if (!node.isObject()) throw new CheckpointException(where + ": header entry is not an object");

        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) throw new CheckpointException(where + ": missing dtype");
        DType dtype = DType.parse(dtypeNode.asText()).orElseThrow(() -> new CheckpointException(
                where + ": unknown dtype '" + dtypeNode.asText() + "' (known: " + DType.known() + ")"));

        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) throw new CheckpointException(where + ": missing shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!isLong(d) || d.asLong() < 0) {
                throw new CheckpointException(where + ": shape " + shapeNode + " has dimension " + d
                        + ", which is not a non-negative integer");
            }
            shape[i] = d.asLong();
        }
        long byteSize = byteSize(where, shape, dtype, shapeNode);

        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !isLong(offsets.get(0)) || !isLong(offsets.get(1))) {
            throw new CheckpointException(where + ": data_offsets must be two integers, found " + offsets);
        }
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] are not an interval");
        }
        if (end > dataSize) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] run past the data area of "
                    + dataSize + " bytes (truncated file?)");
        }
        if (end - begin != byteSize) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes but shape " + shapeNode + " of " + dtype + " needs " + byteSize);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** An integer that fits a long: not 2.0, not 1e3, not "4", not 2^64. */
    private static boolean isLong(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong();
    }

    private static long byteSize(String where, long[] shape, DType dtype, JsonNode shapeNode) {
        try {
            long n = dtype.byteSize();
            for (long d : shape) n = Math.multiplyExact(n, d);
            return n;
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(where + ": shape " + shapeNode + " of " + dtype + " overflows a 64-bit byte count");
        }
    }

    /** Sorted by offset, the tensors must cover {@code [0, dataSize)} exactly once (see the class comment). */
    private static void requireTiling(Path path, List<Entry> entries, long dataSize) {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin < covered) {
                throw new CheckpointException(path + ": corrupt header: tensors " + previous.name + " [" + previous.begin
                        + ", " + previous.end + ") and " + e.name + " [" + e.begin + ", " + e.end + ") overlap");
            }
            if (e.begin > covered) {
                throw new CheckpointException(path + ": corrupt header: tensor " + e.name + " starts at byte " + e.begin
                        + " but " + (previous == null ? "the data area starts at 0" : "tensor " + previous.name + " ends at " + covered)
                        + ": a hole of " + (e.begin - covered) + " bytes, which safetensors does not allow");
            }
            covered = e.end;
            previous = e;
        }
        if (covered != dataSize) {
            throw new CheckpointException(path + ": corrupt header: the tensors cover " + covered + " bytes but the data area holds "
                    + dataSize + " (" + (dataSize - covered) + " bytes after "
                    + (previous == null ? "the header" : "the last tensor, " + previous.name) + ", which safetensors does not allow)");
        }
    }
}
