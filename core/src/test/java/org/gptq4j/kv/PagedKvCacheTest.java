package org.gptq4j.kv;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@link PagedKvCache#write} stores in each precision, and what it costs. */
class PagedKvCacheTest {

    @Test
    void float32StoresTheVectorsAsTheyAre() {
        try (PagedKvCache cache = new PagedKvCache(new KvLayout(2, 2, 4, 4, 3, KvPrecision.F32))) {
            float[] k = {1.1f, -2.5e-8f, 3e5f, 0, 1, 2, 3, 4}, v = {-7.25f, 8, 9, 10, 11, 12, 13, 1.0e-3f};
            long at = cache.layout().headBase(1, 1) + 5 * 4; // two heads of 4: eight elements from here
            cache.write(at, k, 0, v, 0, 8);
            for (int i = 0; i < 8; i++) {
                assertThat(cache.key(at + i)).isEqualTo(k[i]);
                assertThat(cache.value(at + i)).isEqualTo(v[i]);
            }
        }
    }

    @Test
    void halfPrecisionRoundsEachElementToNearestF16AndHalvesTheBytes() {
        KvLayout half = new KvLayout(2, 2, 4, 4, 3, KvPrecision.F16);
        assertThat(half.bytesPerBlock()).isEqualTo(KvLayout.of(2, 2, 4, 4, 3).bytesPerBlock() / 2);
        try (PagedKvCache cache = new PagedKvCache(half)) {
            assertThat(cache.keys().byteSize()).isEqualTo(half.elements() * 2);
            float[] k = {1.1f, -2.5e-8f, 3e4f, 0.333333f, 1, 2, 3, 4}, v = {-7.25f, 8, 9, 10, 11, 12, 13, 1.0e-3f};
            long at = half.headBase(1, 1) + 10 * 4; // the last two positions of the cache
            cache.write(at + 0, k, 0, v, 0, 8);
            for (int i = 0; i < 8; i++) {
                assertThat(cache.keys().getAtIndex(ValueLayout.JAVA_SHORT, at + i)).isEqualTo(Float.floatToFloat16(k[i]));
                assertThat(cache.key(at + i)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(k[i])));
                assertThat(cache.value(at + i)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(v[i])));
            }
            assertThat(cache.key(at)).isNotEqualTo(1.1f).isCloseTo(1.1f, org.assertj.core.api.Assertions.within(1.1f / 2048));
        }
    }
}
