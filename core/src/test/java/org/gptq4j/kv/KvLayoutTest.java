package org.gptq4j.kv;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the cache puts each position's vectors, and what a block costs. */
class KvLayoutTest {

    @Test
    void vectorsOfAKibibyteOrMoreAreSpacedAnOddNumberOfCacheLinesApart() {
        assertThat(KvLayout.positionStride(4096)).as("Llama-2-7B: 16 KiB + one line").isEqualTo(4096 + 16);
        assertThat(KvLayout.positionStride(1024)).isEqualTo(1024 + 16);
        assertThat(KvLayout.positionStride(1040)).as("already an odd number of lines").isEqualTo(1040);
        assertThat(KvLayout.positionStride(1000)).as("63 lines, rounded up").isEqualTo(1008);
        assertThat(KvLayout.positionStride(256)).as("1 KiB: one line more").isEqualTo(256 + 16);
        assertThat(KvLayout.positionStride(240)).as("under 1 KiB: as it is").isEqualTo(240);
        assertThat(KvLayout.positionStride(32)).isEqualTo(32);
    }

    @Test
    void offsetsAndBlockBytesFollowTheStride() {
        int layers = 2, kvDim = 1024, blockSize = 4, blocks = 3;
        KvLayout layout = KvLayout.of(layers, kvDim, blockSize, blocks);
        assertThat(layout.precision()).isEqualTo(KvPrecision.F32);
        try (PagedKvCache cache = new PagedKvCache(layout)) {
            int stride = layout.stride();
            assertThat(stride).isEqualTo(KvLayout.positionStride(kvDim));
            assertThat(cache.keys().byteSize()).isEqualTo((long) layers * blocks * blockSize * stride * Float.BYTES);
            assertThat(layout.bytesPerBlock() * blocks).isEqualTo(cache.keys().byteSize() + cache.values().byteSize());
            BlockTable table = new BlockTable();
            new KvCacheManager(layout, false).reserve(table, 6); // two blocks
            for (int pos = 0; pos < 6; pos++) {
                long expected = layout.layerOffset(1) + ((long) table.block(pos / blockSize) * blockSize + pos % blockSize) * stride;
                assertThat(layout.offset(1, table, pos)).isEqualTo(expected);
                assertThat(layout.offset(layout.layerOffset(1), table.blocks(), pos)).isEqualTo(expected);
            }
            assertThat(layout.layerOffset(1)).isEqualTo((long) blocks * blockSize * stride);
            assertThatThrownBy(() -> layout.offset(0, table, 8)).as("a position the table holds no block for")
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
