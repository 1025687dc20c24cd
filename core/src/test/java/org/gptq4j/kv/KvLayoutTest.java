package org.gptq4j.kv;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the cache puts each head's vectors, and what a block costs. */
class KvLayoutTest {

    @Test
    void eachHeadsVectorsOfABlockAreContiguousAndEveryElementHasOneOwner() {
        int layers = 2, heads = 3, hd = 8, blockSize = 4, blocks = 5;
        KvLayout layout = KvLayout.of(layers, heads, hd, blockSize, blocks);
        assertThat(layout.precision()).isEqualTo(KvPrecision.F32);
        assertThat(layout.kvDim()).isEqualTo(24);
        assertThat(layout.stride()).isEqualTo(hd);
        Set<Long> seen = new HashSet<>();
        int[] ids = {3, 0, 4, 1, 2}; // scattered: every block of the pool
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                long base = layout.headBase(l, h);
                for (int pos = 0; pos < blocks * blockSize; pos++) {
                    long at = layout.offset(base, ids, pos);
                    assertThat(at).isEqualTo(base + ((long) ids[pos / blockSize] * blockSize + pos % blockSize) * hd);
                    if (pos % blockSize > 0) assertThat(at).as("the next slot follows").isEqualTo(layout.offset(base, ids, pos - 1) + hd);
                    for (int d = 0; d < hd; d++) assertThat(seen.add(at + d)).as("element %d owned once", at + d).isTrue();
                }
            }
        }
        assertThat(seen).hasSize((int) layout.elements());
        assertThat(seen.stream().mapToLong(Long::longValue).max().getAsLong()).isEqualTo(layout.elements() - 1);
    }

    @Test
    void offsetsOfASequencesTableAndBlockBytes() {
        int layers = 2, heads = 4, hd = 256, blockSize = 4, blocks = 3;
        KvLayout layout = KvLayout.of(layers, heads, hd, blockSize, blocks);
        try (PagedKvCache cache = new PagedKvCache(layout)) {
            assertThat(cache.keys().byteSize()).isEqualTo((long) layers * heads * blocks * blockSize * hd * Float.BYTES);
            assertThat(layout.bytesPerBlock() * blocks).isEqualTo(cache.keys().byteSize() + cache.values().byteSize());
            BlockTable table = new BlockTable();
            new KvCacheManager(layout, false).reserve(table, 6); // two blocks
            for (int pos = 0; pos < 6; pos++) {
                long expected = layout.headBase(1, 2) + ((long) table.block(pos / blockSize) * blockSize + pos % blockSize) * hd;
                assertThat(layout.offset(1, 2, table, pos)).isEqualTo(expected);
                assertThat(layout.offset(layout.headBase(1, 2), table.blocks(), pos)).isEqualTo(expected);
            }
            assertThat(layout.headBase(1, 0)).isEqualTo((long) heads * blocks * blockSize * hd);
            assertThatThrownBy(() -> layout.offset(0, 0, table, 8)).as("a position the table holds no block for")
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
