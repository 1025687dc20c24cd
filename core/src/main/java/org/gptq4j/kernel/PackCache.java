package org.gptq4j.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.gptq4j.io.Checkpoint;
import org.gptq4j.io.Tensor;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A cache of repacked GPTQ layers on disk, so that only the first load of a large checkpoint pays for repacking
 * (transposing and permuting every code: seconds per GB on two cores); later loads read the packed bytes from it.
 *
 * <p>One file per checkpoint, {@code <cache dir>/<sha256>.gptq4j}, named after the real path, size and safetensors header
 * bytes of each weight file, the GPTQ settings and {@link #LAYOUT_VERSION}; written atomically (temporary file, then
 * rename) after a successful load. Format: 8-byte little-endian header length, a JSON header, then the blobs, each
 * 64-byte aligned. Per layer the header holds a checksum of the stored tensors it was made from ({@link #fingerprint})
 * and the offset, size and CRC32C of its codes, scales and zeros.
 *
 * <p>The cache is untrusted input, and it never stops a load: a layer is taken from it only when its source checksum
 * matches the checkpoint's tensors now, each blob has exactly the size the checkpoint's layout implies and lies inside
 * the file, and its CRC32C matches. Everything structural (permutation, group blocks, row bytes) is derived from the
 * checkpoint, never read from the cache. The first mismatch (or an unreadable, truncated or foreign file) is said in
 * one line; every later layer is repacked and the file rewritten. Blobs are read into memory the model owns, not
 * mapped: the file can be truncated or deleted under a running model without effect.
 *
 * <p>{@link KernelOptions#packCacheDir()} places it (default {@code ~/.cache/gptq4j}, {@code -Dgptq4j.cache=DIR}) or turns
 * it off ({@code -Dgptq4j.cache=off}); checkpoints under {@link KernelOptions#packCacheMinBytes()} (default 256 MiB,
 * {@code -Dgptq4j.cache.minBytes}) are repacked every time instead.
 */
public final class PackCache implements AutoCloseable {
    /** Bumped whenever {@link PackedGptq}'s layout or this file format changes, so stale files are never read. */
    public static final int LAYOUT_VERSION = 3; // 2: F16 scales, int16 zeros; 3: checksums, layout from the checkpoint
    /** How much of each {@code qweight} {@link #fingerprint} reads: one run of this many bytes ... */
    static final int SAMPLE_BYTES = 4096;
    /** ... every this many bytes (1/64 of it); qzeros, scales and g_idx are read whole. */
    static final int SAMPLE_STRIDE = 64 * SAMPLE_BYTES;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORMAT = "gptq4j repack cache";
    private static final PackCache NONE = new PackCache(null, null, null, null);

    /** The packed bytes of one layer, in memory the model owns. */
    public record Blobs(MemorySegment codes, MemorySegment scales, MemorySegment zeros) {}

    private final Path file;
    private final String key;
    private final String checkpoint;                      // the weight files, for the header (information only)
    private FileChannel channel;                          // non-null while reading
    private JsonNode layers;                              // the cached layers, while reading
    private long dataStart;
    private boolean dirty;                                // something was repacked: commit writes the file
    private final Map<String, Long> sources = new HashMap<>();
    private final Map<String, PackedGptq> loaded = new LinkedHashMap<>();

    private PackCache(Path file, String key, String checkpoint, FileChannel channel) {
        this.file = file;
        this.key = key;
        this.checkpoint = checkpoint;
        this.channel = channel;
        this.dirty = channel == null;
    }

    /** A cache that never hits and never writes. */
    public static PackCache none() {
        return NONE;
    }

    /**
     * The cache of {@code checkpoint} with GPTQ {@code settings} in the folder of {@code options}: reading if a file
     * exists for it, else collecting layers to write on {@link #commit()}. Any problem disables or bypasses it (a cache
     * must never stop a load).
     */
    public static PackCache open(Checkpoint checkpoint, String settings, KernelOptions options) {
        if (options.packCacheDir().isEmpty()) return NONE;
        Path dir = options.packCacheDir().get();
        try {
            long minBytes = options.packCacheMinBytes();
            long total = 0;
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(("gptq4j-pack-v" + LAYOUT_VERSION + "|" + settings).getBytes(StandardCharsets.UTF_8));
            List<Path> files = checkpoint.files();
            List<byte[]> headers = checkpoint.headers();
            for (int i = 0; i < files.size(); i++) {
                Path real = files.get(i).toRealPath();
                long size = Files.size(real);
                total += size;
                sha.update(("|" + real + "|" + size + "|").getBytes(StandardCharsets.UTF_8));
                sha.update(headers.get(i));
            }
            if (total < minBytes) return NONE;
            String key = HexFormat.of().formatHex(sha.digest());
            Path file = dir.resolve(key + ".gptq4j");
            String names = files.toString();
            if (!Files.isRegularFile(file)) return new PackCache(file, key, names, null);
            PackCache cache = new PackCache(file, key, names, FileChannel.open(file, StandardOpenOption.READ));
            cache.readHeader();
            return cache;
        } catch (Exception e) {
            log("repack cache disabled for this load (" + e + ")");
            return NONE;
        }
    }

    /** Reads and checks the JSON header; a file that fails is bypassed (and rewritten at commit). */
    private void readHeader() {
        try {
            long size = channel.size();
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(length, 0);
            long headerLength = length.getLong(0);
            if (headerLength < 2 || headerLength > size - 8 || headerLength > Integer.MAX_VALUE - 8) {
                throw new Mismatch("its header length " + headerLength + " does not fit its " + size + " bytes");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(header, 8);
            JsonNode root = JSON.readTree(header.array());
            if (root == null || !FORMAT.equals(root.path("format").asText()) || root.path("version").asInt() != LAYOUT_VERSION
                    || !key.equals(root.path("key").asText()) || !root.path("layers").isObject()) {
                throw new Mismatch("its header is not a version " + LAYOUT_VERSION + " cache of this checkpoint");
            }
            layers = root.get("layers");
            dataStart = 8 + headerLength;
        } catch (IOException | RuntimeException e) {
            bypass(e instanceof Mismatch ? e.getMessage() : "it cannot be read: " + e);
        }
    }

    /** Whether this cache is being read (so far, every layer asked for was found and valid). */
    public boolean reading() {
        return channel != null;
    }

    /**
     * Layer {@code s}'s packed bytes, read into {@code arena}, when the cache holds a valid copy made from exactly these
     * stored tensors with blobs of exactly these sizes; else null (the caller repacks).
     */
    public Blobs find(GptqLinear.Stored s, long codesBytes, long groupBytes, Arena arena) {
        if (file == null) return null;
        long source = sources.computeIfAbsent(s.name(), n -> fingerprint(s));
        if (channel == null) return null;
        try {
            JsonNode e = layers.get(s.name());
            if (e == null || !e.isObject()) throw new Mismatch("it has no layer " + s.name());
            if (!Long.toHexString(source).equals(e.path("source").asText())) {
                throw new Mismatch("the stored tensors of " + s.name() + " changed since it was written");
            }
            return new Blobs(blob(e, s.name(), "codes", codesBytes, arena), blob(e, s.name(), "scales", groupBytes, arena),
                    blob(e, s.name(), "zeros", groupBytes, arena));
        } catch (IOException | RuntimeException e) {
            bypass(e instanceof Mismatch ? e.getMessage() : "it cannot be read: " + e);
            return null;
        }
    }

    /** One blob, {@code [offset, size, crc32c]} in the header: size as expected, inside the file, checksum matching. */
    private MemorySegment blob(JsonNode layer, String name, String part, long expectedSize, Arena arena) throws IOException {
        JsonNode b = layer.get(part);
        String where = name + " " + part;
        if (b == null || !b.isArray() || b.size() != 3 || !isLong(b.get(0)) || !isLong(b.get(1)) || !isLong(b.get(2))) {
            throw new Mismatch("its entry for " + where + " is malformed");
        }
        long offset = b.get(0).asLong(), size = b.get(1).asLong();
        if (size != expectedSize) throw new Mismatch(where + " holds " + size + " bytes, the checkpoint's layout " + expectedSize);
        long available = channel.size() - dataStart;
        if (offset < 0 || offset > available - size) {
            throw new Mismatch(where + " [" + offset + ", +" + size + ") lies outside its data (" + available + " bytes: truncated?)");
        }
        MemorySegment seg = arena.allocate(size, 64);
        for (long done = 0; done < size; ) {
            int n = (int) Math.min(1 << 30, size - done);
            readFully(seg.asSlice(done, n).asByteBuffer(), dataStart + offset + done);
            done += n;
        }
        if (crc(seg) != b.get(2).asLong()) throw new Mismatch(where + " fails its checksum");
        return seg;
    }

    private void readFully(ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf, position);
            if (n < 0) throw new Mismatch("it ends early (truncated?)");
            position += n;
        }
    }

    /** Stops reading: the rest of the layers are repacked and the file is rewritten at commit. Says why, once. */
    private void bypass(String why) {
        log("not using the repack cache " + file + ": " + why + "; repacking, the file will be rewritten");
        closeChannel();
        dirty = true;
    }

    /** Records a layer as loaded (from this cache or freshly repacked), for {@link #commit()}. */
    public void put(GptqLinear.Stored s, PackedGptq packed) {
        if (file == null) return;
        sources.computeIfAbsent(s.name(), n -> fingerprint(s));
        loaded.put(s.name(), packed);
    }

    /**
     * Writes the loaded layers to the cache file (temporary file, then atomic rename) if any was repacked, saying once
     * what it wrote, where and how to turn it off; failures only warn.
     */
    public void commit() {
        closeChannel();
        if (file == null || !dirty || loaded.isEmpty()) return;
        Path tmp = null;
        try {
            Files.createDirectories(file.getParent());
            ObjectNode header = JSON.createObjectNode().put("format", FORMAT).put("version", LAYOUT_VERSION).put("key", key);
            ObjectNode index = header.putObject("layers");
            long offset = 0;
            List<Map.Entry<MemorySegment, Long>> blobs = new ArrayList<>();
            for (var e : loaded.entrySet()) {
                PackedGptq p = e.getValue();
                ObjectNode n = index.putObject(e.getKey()).put("source", Long.toHexString(sources.get(e.getKey())));
                for (var blob : List.of(Map.entry("codes", p.codes()), Map.entry("scales", p.scales()), Map.entry("zeros", p.zeros()))) {
                    MemorySegment s = blob.getValue();
                    n.putArray(blob.getKey()).add(offset).add(s.byteSize()).add(crc(s));
                    blobs.add(Map.entry(s, offset));
                    offset = (offset + s.byteSize() + 63) & ~63L;
                }
            }
            header.put("checkpoint", checkpoint);
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
                    long at = dataStart + b.getValue();
                    for (long done = 0, size = b.getKey().byteSize(); done < size; ) {
                        ByteBuffer buf = b.getKey().asSlice(done, Math.min(1 << 30, size - done)).asByteBuffer();
                        while (buf.hasRemaining()) done += ch.write(buf, at + done);
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            log(String.format(Locale.ROOT, "wrote the repack cache %s (%.1f MB, the repacked GPTQ layers of this checkpoint, so that"
                    + " the next load skips repacking); -Dgptq4j.cache=off turns it off, -Dgptq4j.cache=DIR moves it", file,
                    (dataStart + offset) / 1e6));
        } catch (IOException | RuntimeException e) {
            log("could not write the repack cache " + file + " (" + e + "); the next load repacks again");
        } finally {
            loaded.clear();
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    /**
     * A checksum of what a layer is repacked from: CRC32C over {@code qzeros}, {@code scales} and {@code g_idx} whole and
     * over {@link #SAMPLE_BYTES} of every {@link #SAMPLE_STRIDE} of {@code qweight}, so about 1/20 of a 4-bit g128
     * layer's bytes. A rewrite of the weights (another model, another quantization) changes the scales; a change
     * confined to unsampled qweight bytes is not seen.
     */
    static long fingerprint(GptqLinear.Stored s) {
        CRC32C crc = new CRC32C();
        for (Tensor t : new Tensor[]{s.qzeros(), s.scales(), s.gIdx()}) {
            if (t != null) update(crc, t.data());
        }
        MemorySegment qw = s.qweight().data();
        for (long at = 0; at < qw.byteSize(); at += SAMPLE_STRIDE) update(crc, qw.asSlice(at, Math.min(SAMPLE_BYTES, qw.byteSize() - at)));
        return crc.getValue();
    }

    private static long crc(MemorySegment seg) {
        CRC32C crc = new CRC32C();
        update(crc, seg);
        return crc.getValue();
    }

    private static void update(CRC32C crc, MemorySegment seg) {
        if (seg.isMapped()) {
            // through a heap copy: a Java copy of file pages that vanished (the file shrank) throws InternalError, where
            // the checksum's native stub reading them in place would crash the JVM
            byte[] buf = new byte[(int) Math.min(seg.byteSize(), 1 << 20)];
            for (long at = 0; at < seg.byteSize(); at += buf.length) {
                int n = (int) Math.min(buf.length, seg.byteSize() - at);
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, at, buf, 0, n);
                crc.update(buf, 0, n);
            }
            return;
        }
        for (long at = 0; at < seg.byteSize(); at += 1 << 30) crc.update(seg.asSlice(at, Math.min(1 << 30, seg.byteSize() - at)).asByteBuffer());
    }

    private static boolean isLong(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong();
    }

    private void closeChannel() {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
        channel = null;
        layers = null;
    }

    private static void log(String line) {
        System.err.println("gptq4j: " + line);
    }

    /** Closes the cache file; the layers read from it stay valid (they are in the model's memory). */
    @Override
    public void close() {
        closeChannel();
    }

    /** A reason to stop reading the cache. */
    private static final class Mismatch extends IOException {
        Mismatch(String message) {
            super(message);
        }
    }
}
