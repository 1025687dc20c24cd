package org.gptq4j.kv;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Where the cache puts each position's vectors, and what a block costs. */
class PagedKvCacheTest {

    @Test
    void vectorsOfAKibibyteOrMoreAreSpacedAnOddNumberOfCacheLinesApart() {
        assertThat(PagedKvCache.positionStride(4096)).as("Llama-2-7B: 16 KiB + one line").isEqualTo(4096 + 16);
        assertThat(PagedKvCache.positionStride(1024)).isEqualTo(1024 + 16);
        assertThat(PagedKvCache.positionStride(1040)).as("already an odd number of lines").isEqualTo(1040);
        assertThat(PagedKvCache.positionStride(1000)).as("63 lines, rounded up").isEqualTo(1008);
        assertThat(PagedKvCache.positionStride(256)).as("1 KiB: one line more").isEqualTo(256 + 16);
        assertThat(PagedKvCache.positionStride(240)).as("under 1 KiB: as it is").isEqualTo(240);
        assertThat(PagedKvCache.positionStride(32)).isEqualTo(32);
    }

    @Test
    void offsetsAndBlockBytesFollowTheStride() {
        int layers = 2, kvDim = 1024, blockSize = 4, blocks = 3;
        try (PagedKvCache cache = new PagedKvCache(layers, kvDim, blockSize, blocks)) {
            int stride = cache.positionStride();
            assertThat(cache.keys().byteSize()).isEqualTo((long) layers * blocks * blockSize * stride * Float.BYTES);
            assertThat(PagedKvCache.bytesPerBlock(layers, kvDim, blockSize) * blocks)
                    .isEqualTo(cache.keys().byteSize() + cache.values().byteSize());
            BlockTable table = new BlockTable();
            cache.reserve(table, 6); // two blocks
            for (int pos = 0; pos < 6; pos++) {
                assertThat(cache.offset(1, table, pos)).isEqualTo(cache.layerOffset(1)
                        + ((long) table.block(pos / blockSize) * blockSize + pos % blockSize) * stride);
            }
            assertThat(cache.layerOffset(1)).isEqualTo((long) blocks * blockSize * stride);
        }
    }
}
