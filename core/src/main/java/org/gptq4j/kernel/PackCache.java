package org.gptq4j.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A cache of repacked GPTQ layers on disk, so that only the first load of a large checkpoint pays for repacking
 * (transposing and permuting every code: seconds per GB on two cores); later loads map the cache file and use its
 * pages in place (zero copy, like the safetensors themselves).
 *
 * <p>One file per checkpoint, {@code <cache dir>/<sha256>.gptq4j}, keyed by the folder's real path, the name, size and
 * modification time of each safetensors file, the GPTQ settings and {@link #LAYOUT_VERSION}; written atomically
 * (temporary file, then rename) after a successful load. Format: 8-byte little-endian header length, a JSON header
 * mapping each layer to the offsets of its blobs, then the blobs, each 64-byte aligned.
 *
 * <p>{@code -Dgptq4j.cache=DIR} moves it (default {@code ~/.cache/gptq4j}), {@code -Dgptq4j.cache=off} disables it;
 * checkpoints under {@code -Dgptq4j.cache.minBytes} (default 256 MiB) are repacked every time instead.
 */
public final class PackCache implements AutoCloseable {
    /** Bumped whenever {@link PackedGptq}'s layout changes, so stale files are never read. */
    public static final int LAYOUT_VERSION = 2; // 2: F16 scales, int16 zeros
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PackCache NONE = new PackCache(null, null, null, null);

    /** A cached layer: its packed weights and the act-order permutation (null for the identity). */
    public record Entry(PackedGptq packed, int[] perm) {}

    private final Path file;
    private final Arena arena;
    private final JsonNode index;    // non-null when reading
    private final MemorySegment data; // the mapped file when reading
    private final Map<String, Entry> pending = new LinkedHashMap<>();

    private PackCache(Path file, Arena arena, JsonNode index, MemorySegment data) {
        this.file = file;
        this.arena = arena;
        this.index = index;
        this.data = data;
    }

    /** A cache that never hits and never writes. */
    public static PackCache none() {
        return NONE;
    }

    /**
     * The cache of the checkpoint whose weights are {@code files}: reading if a valid file exists, else collecting
     * layers to write on {@link #commit()}. Any problem disables it (a cache must never stop a load).
     */
    public static PackCache open(List<Path> files, String settings) {
        try {
            String configured = System.getProperty("gptq4j.cache", "");
            if (configured.equalsIgnoreCase("off")) return NONE;
            long minBytes = Long.getLong("gptq4j.cache.minBytes", 256L << 20);
            long total = 0;
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(("gptq4j-pack-v" + LAYOUT_VERSION + "|" + settings).getBytes(StandardCharsets.UTF_8));
            for (Path f : files) {
                Path real = f.toRealPath();
                total += Files.size(real);
                sha.update(("|" + real + "|" + Files.size(real) + "|" + Files.getLastModifiedTime(real).toMillis()).getBytes(StandardCharsets.UTF_8));
            }
            if (total < minBytes) return NONE;
            Path dir = configured.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "gptq4j") : Path.of(configured);
            Path file = dir.resolve(HexFormat.of().formatHex(sha.digest()) + ".gptq4j");
            if (!Files.isRegularFile(file)) return new PackCache(file, null, null, null);
            Arena arena = Arena.ofShared();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                long headerLength = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
                byte[] header = seg.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
                return new PackCache(file, arena, JSON.readTree(header), seg);
            } catch (IOException | RuntimeException e) {
                arena.close();
                System.err.println("gptq4j: ignoring unreadable repack cache " + file + " (" + e + ")");
                return new PackCache(file, null, null, null);
            }
        } catch (Exception e) {
            return NONE;
        }
    }

    /** Whether this cache was read from disk (every layer should hit). */
    public boolean reading() {
        return index != null;
    }

    /** The cached layer {@code name}, or null. */
    public Entry find(String name) {
        if (index == null || !index.has(name)) return null;
        JsonNode e = index.get(name);
        int[] gblk = ints(e.get("gblk"));
        int[] perm = e.has("perm") ? ints(e.get("perm")) : null;
        PackedGptq p = PackedGptq.of(e.get("in").asInt(), e.get("out").asInt(), e.get("bits").asInt(), e.get("storedBits").asInt(),
                e.get("nb").asInt(), e.get("rowBytes").asLong(), e.get("groups").asInt(), gblk,
                slice(e.get("codes")), slice(e.get("scales")), slice(e.get("zeros")), arena);
        return new Entry(p, perm);
    }

    /** Records a freshly repacked layer for {@link #commit()} (when this cache is writing). */
    public void put(String name, PackedGptq packed, int[] perm) {
        if (file != null && index == null) pending.put(name, new Entry(packed, perm));
    }

    /** Writes the recorded layers to the cache file (temporary file, then atomic rename); failures only warn. */
    public void commit() {
        if (file == null || index != null || pending.isEmpty()) return;
        Path tmp = null;
        try {
            Files.createDirectories(file.getParent());
            ObjectNode header = JSON.createObjectNode();
            long offset = 0;
            List<Map.Entry<MemorySegment, Long>> blobs = new java.util.ArrayList<>();
            for (var e : pending.entrySet()) {
                PackedGptq p = e.getValue().packed();
                ObjectNode n = header.putObject(e.getKey());
                n.put("in", p.in()).put("out", p.out()).put("bits", p.bits()).put("storedBits", p.storedBits()).put("nb", p.nb())
                        .put("rowBytes", p.rowBytes()).put("groups", p.groups());
                var g = n.putArray("gblk");
                for (int v : p.gblk()) g.add(v);
                if (e.getValue().perm() != null) {
                    var pa = n.putArray("perm");
                    for (int v : e.getValue().perm()) pa.add(v);
                }
                for (var blob : new Object[][]{{"codes", p.codes()}, {"scales", p.scales()}, {"zeros", p.zeros()}}) {
                    MemorySegment s = (MemorySegment) blob[1];
                    n.putArray((String) blob[0]).add(offset).add(s.byteSize());
                    blobs.add(Map.entry(s, offset));
                    offset = (offset + s.byteSize() + 63) & ~63L;
                }
            }
            byte[] json = JSON.writeValueAsBytes(header);
            long dataStart = (8 + json.length + 63) & ~63L;
            tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".partial");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, dataStart - 8));
                ByteBuffer h = ByteBuffer.allocate((int) (dataStart - 8));
                h.put(json);
                while (h.hasRemaining()) h.put((byte) ' ');
                h.flip();
                ch.write(h, 8);
                for (var b : blobs) {
                    ByteBuffer buf = b.getKey().asByteBuffer();
                    long at = dataStart + b.getValue();
                    while (buf.hasRemaining()) at += ch.write(buf, at);
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException | RuntimeException e) {
            System.err.println("gptq4j: could not write the repack cache " + file + " (" + e + "); the next load repacks again");
        } finally {
            pending.clear();
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private MemorySegment slice(JsonNode offsetAndSize) {
        long headerEnd = 8 + data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        return data.asSlice(headerEnd + offsetAndSize.get(0).asLong(), offsetAndSize.get(1).asLong());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    /** Unmaps the cache file (the layers read from it must no longer be used). */
    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    /** The safetensors files of a model folder. */
    public static List<Path> safetensorsIn(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
