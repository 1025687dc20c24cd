package org.gptq4j.kernel;

import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaModel;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A model loaded from the repack cache computes exactly what the freshly repacked one does. */
class PackCacheTest {

    @Test
    void secondLoadMapsTheCacheAndMatchesBitForBit(@TempDir Path cacheDir) throws Exception {
        System.setProperty("gptq4j.cache", cacheDir.toString());
        System.setProperty("gptq4j.cache.minBytes", "0");
        try (ComputePool pool = new ComputePool(2)) {
            Path model = Fixtures.model(Fixtures.TINY, "gptq-3bit-128g-actorder_True");
            float[] first = logits(model, pool);
            try (Stream<Path> files = Files.list(cacheDir)) {
                assertThat(files.filter(f -> f.toString().endsWith(".gptq4j")).count()).isEqualTo(1);
            }
            assertThat(PackCache.open(PackCache.safetensorsIn(model), "3/128/GPTQ").reading()).isTrue();
            float[] second = logits(model, pool);
            assertThat(second).containsExactly(first);
        } finally {
            System.clearProperty("gptq4j.cache");
            System.clearProperty("gptq4j.cache.minBytes");
        }
    }

    private static float[] logits(Path model, ComputePool pool) {
        try (LlamaModel m = LlamaModel.load(model, KernelBackend.NATIVE); PagedKvCache cache = m.newKvCache(16, 2)) {
            int[] prompt = {1, 5, 99, 300, 7};
            BlockTable table = new BlockTable();
            cache.reserve(table, prompt.length);
            return m.forward(ForwardBatch.prefill(prompt, 0, table, true), cache, pool);
        }
    }
}
