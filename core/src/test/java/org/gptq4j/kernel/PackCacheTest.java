package org.gptq4j.kernel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.gptq4j.io.Checkpoint;
import org.gptq4j.io.CheckpointCopy;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * A model loaded from the repack cache computes exactly what the freshly repacked one does, and a cache file that is
 * damaged, edited, truncated or stale never stops a load, never crashes it, and never changes the logits: the load
 * says why in one line, repacks, and rewrites the file.
 */
class PackCacheTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path MODEL = Fixtures.model(Fixtures.TINY, "gptq-3bit-128g-actorder_True");

    @TempDir
    Path cacheDir;
    private float[] uncached;

    @BeforeEach
    void uncachedLogits() {
        uncached = CacheRun.run(MODEL, null).logits();
    }

    @Test
    void firstLoadWritesTheCacheSayingWhereHowBigAndHowToTurnItOff() {
        String said = CacheRun.run(MODEL, cacheDir).said();
        assertThat(CacheRun.files(cacheDir)).hasSize(1);
        Path file = CacheRun.files(cacheDir).getFirst();
        assertThat(said.lines()).hasSize(1);
        assertThat(said).contains("wrote the repack cache " + file, " MB", "-Dgptq4j.cache=off");
    }

    @Test
    void secondLoadReadsTheCacheAndMatchesBitForBit() {
        CacheRun.run(MODEL, cacheDir);
        try (Checkpoint checkpoint = Checkpoint.open(MODEL, null)) {
            try (PackCache cache = PackCache.open(checkpoint, "3/128/GPTQ", CacheRun.options(cacheDir))) {
                assertThat(cache.reading()).isTrue();
            }
        }
        CacheRun.Result second = CacheRun.run(MODEL, cacheDir);
        assertThat(second.said()).isEmpty();
        assertThat(second.logits()).containsExactly(uncached);
    }

    /** Edits of the header that the loader must not trust: sizes, offsets, foreign versions and keys, missing layers. */
    static Stream<Arguments> headerEdits() {
        return Stream.of(
                arguments("codes size 2^30 (rowBytes 1<<30 before)", blob("codes", 1, v -> 1L << 30)),
                arguments("codes offset 2^40", blob("codes", 0, v -> 1L << 40)),
                arguments("scales offset -64", blob("scales", 0, v -> -64)),
                arguments("zeros size 2 bytes short", blob("zeros", 1, v -> v - 2)),
                arguments("codes crc wrong", blob("codes", 2, v -> v ^ 1)),
                arguments("zeros at the offset of another blob", blob("zeros", 0, v -> 0)),
                arguments("source checksum changed", edit(l -> l.put("source", "1234"))),
                arguments("codes not an array", edit(l -> l.put("codes", "everywhere"))),
                arguments("version 2", (Consumer<ObjectNode>) h -> h.put("version", 2)),
                arguments("another checkpoint's key", (Consumer<ObjectNode>) h -> h.put("key", "0".repeat(64))),
                arguments("a layer missing", (Consumer<ObjectNode>) h -> ((ObjectNode) h.get("layers")).remove("model.layers.1.mlp.down_proj")),
                arguments("layers not an object", (Consumer<ObjectNode>) h -> h.put("layers", 7)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("headerEdits")
    void anEditedHeaderIsNotTrustedAndTheCacheIsRewritten(String name, Consumer<ObjectNode> edit) throws IOException {
        CacheRun.run(MODEL, cacheDir);
        Path file = CacheRun.files(cacheDir).getFirst();
        rewriteHeader(file, edit);
        CacheRun.Result edited = CacheRun.run(MODEL, cacheDir);
        assertThat(edited.logits()).containsExactly(uncached);
        assertThat(edited.said().lines()).as(edited.said()).hasSize(2);
        assertThat(edited.said()).contains("not using the repack cache", "repacking", "wrote the repack cache");
        CacheRun.Result again = CacheRun.run(MODEL, cacheDir);
        assertThat(again.said()).as("the rewritten file is used").isEmpty();
        assertThat(again.logits()).containsExactly(uncached);
    }

    /** What the version-2 format read and the kernels trusted (row stride, permutation) is no longer read at all. */
    @Test
    void layoutFieldsInTheCacheAreIgnored() throws IOException {
        CacheRun.run(MODEL, cacheDir);
        Path file = CacheRun.files(cacheDir).getFirst();
        rewriteHeader(file, edit(l -> {
            l.put("rowBytes", 1L << 30).put("nb", 1 << 20).put("groups", 1 << 20);
            l.putArray("perm").add(100_000_000).add(-5);
            l.putArray("gblk").add(1 << 30);
        }));
        CacheRun.Result r = CacheRun.run(MODEL, cacheDir);
        assertThat(r.said()).isEmpty();
        assertThat(r.logits()).containsExactly(uncached);
    }

    @Test
    void aFlippedBlobByteFailsItsChecksum() throws IOException {
        CacheRun.run(MODEL, cacheDir);
        Path file = CacheRun.files(cacheDir).getFirst();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 100] ^= 0x10;
        Files.write(file, bytes);
        CacheRun.Result r = CacheRun.run(MODEL, cacheDir);
        assertThat(r.said()).contains("fails its checksum");
        assertThat(r.logits()).containsExactly(uncached);
    }

    @Test
    void aTruncatedCacheFileIsBypassed() throws IOException {
        for (double keep : new double[] {0.9, 0.5, 0.01}) {
            CacheRun.run(MODEL, cacheDir);
            Path file = CacheRun.files(cacheDir).getFirst();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate((long) (ch.size() * keep));
            }
            CacheRun.Result r = CacheRun.run(MODEL, cacheDir);
            assertThat(r.said()).as("kept %s", keep).contains("not using the repack cache");
            assertThat(r.logits()).containsExactly(uncached);
        }
    }

    @Test
    void anEmptyOrForeignFileIsBypassed() throws IOException {
        for (byte[] content : new byte[][] {new byte[0], new byte[] {1, 2, 3}, "{\"format\":\"gptq4j repack cache\"}".getBytes(),
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array()}) {
            CacheRun.run(MODEL, cacheDir);
            Files.write(CacheRun.files(cacheDir).getFirst(), content);
            CacheRun.Result r = CacheRun.run(MODEL, cacheDir);
            assertThat(r.said()).as(Arrays.toString(content)).contains("not using the repack cache");
            assertThat(r.logits()).containsExactly(uncached);
        }
    }

    /**
     * Weights rewritten in place, same size, same header, modification time restored: the cache was keyed on path, size
     * and mtime and served the old layers. Now each layer's source checksum no longer matches: it is repacked.
     */
    @Test
    void weightsRewrittenInPlaceWithTheirMtimeRestoredAreNotServedStale(@TempDir Path dir) throws IOException {
        Path model = CheckpointCopy.of(MODEL, dir);
        Path weights = model.resolve("model.safetensors");
        CacheRun.run(model, cacheDir);
        FileTime mtime = Files.getLastModifiedTime(weights);
        CheckpointCopy.editHalf(weights, "model.layers.0.self_attn.q_proj.scales", 0, v -> 2 * v);
        Files.setLastModifiedTime(weights, mtime);

        float[] fresh = CacheRun.run(model, null).logits();
        assertThat(fresh).as("the edit changes the logits").isNotEqualTo(uncached);
        CacheRun.Result cached = CacheRun.run(model, cacheDir);
        assertThat(cached.said()).contains("the stored tensors of model.layers.0.self_attn.q_proj changed");
        assertThat(cached.logits()).containsExactly(fresh);
    }

    /** Two copies of one checkpoint in different folders keep separate caches (the file name includes the path). */
    @Test
    void aCopyElsewhereGetsItsOwnCacheFile(@TempDir Path dir) {
        CacheRun.run(MODEL, cacheDir);
        CacheRun.run(CheckpointCopy.of(MODEL, dir), cacheDir);
        assertThat(CacheRun.files(cacheDir)).hasSize(2);
    }

    /** Replaces the JSON header of a cache file with an edited one, keeping the data after it. */
    static void rewriteHeader(Path file, Consumer<ObjectNode> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ObjectNode header = (ObjectNode) JSON.readTree(Arrays.copyOfRange(bytes, 8, 8 + headerLength));
        edit.accept(header);
        byte[] json = JSON.writeValueAsBytes(header);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + bytes.length - 8 - headerLength).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(bytes, 8 + headerLength, bytes.length - 8 - headerLength);
        Files.write(file, out.array());
    }

    /** An edit of every layer's entry. */
    private static Consumer<ObjectNode> edit(Consumer<ObjectNode> layer) {
        return h -> h.get("layers").forEach(l -> layer.accept((ObjectNode) l));
    }

    /** An edit of one field of every layer's {@code part}: {@code [offset, size, crc]}. */
    private static Consumer<ObjectNode> blob(String part, int field, LongUnaryOperator change) {
        return edit(l -> {
            ArrayNode a = (ArrayNode) l.get(part);
            a.set(field, LongNode.valueOf(change.applyAsLong(a.get(field).asLong())));
        });
    }
}
