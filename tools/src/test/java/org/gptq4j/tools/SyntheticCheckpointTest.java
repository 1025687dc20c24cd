package org.gptq4j.tools;

import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaGoldenTest;
import org.gptq4j.model.LlamaModel;

import org.gptq4j.io.Checkpoint;
import org.gptq4j.io.Tensor;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.PagedKvCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A synthetic tiny checkpoint loads and runs through the engine on every backend, which agree with each other. */
class SyntheticCheckpointTest {

    @ParameterizedTest(name = "bits={0} group={1} actOrder={2}")
    @CsvSource({"4,128,true", "4,32,false", "8,-1,true", "3,128,true", "2,32,true"})
    void tinyCheckpointLoadsAndRuns(int bits, int group, boolean actOrder, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("synth");
        SyntheticCheckpoint.write(dir, SyntheticCheckpoint.Shape.named("tiny", null), new SyntheticCheckpoint.Quant(bits, group, actOrder), null, 7);
        assertThat(dir.resolve("config.json")).exists();
        assertThat(dir.resolve("quantize_config.json")).exists();
        assertThat(dir.resolve("model.safetensors")).exists();
        try (Stream files = new Stream(tmp)) {
            assertThat(files.count).as("no temporary folder left behind").isEqualTo(1);
        }
        int[] prompt = {1, 17, 300, 42, 9, 511, 2, 100};
        float[] reference = null;
        try (ComputePool pool = new ComputePool(2)) {
            for (KernelBackend backend : new KernelBackend[]{KernelBackend.FLOAT, KernelBackend.NATIVE, KernelBackend.JAVA}) {
                try (LlamaModel model = LlamaModel.load(dir, backend); PagedKvCache cache = model.newKvCache(16, 4)) {
                    KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
                    assertThat(model.config().vocabSize()).isEqualTo(512);
                    assertThat(model.gptq()).hasValueSatisfying(q -> assertThat(q.bits()).isEqualTo(bits));
                    BlockTable table = new BlockTable();
                    blocks.reserve(table, prompt.length);
                    float[] logits = model.forward(ForwardBatch.prefill(prompt, 0, table, true), cache, pool);
                    for (float v : logits) assertThat(Float.isFinite(v)).isTrue();
                    if (reference == null) {
                        reference = logits;
                    } else {
                        for (int p = 0; p < prompt.length; p++) {
                            LlamaGoldenTest.assertQuantizedClose(java.util.Arrays.copyOfRange(logits, p * 512, (p + 1) * 512),
                                    java.util.Arrays.copyOfRange(reference, p * 512, (p + 1) * 512), backend + " position " + p);
                        }
                    }
                }
            }
        }
    }

    @Test
    void layersReadingOneInputShareTheirActOrderPermutationAsGptqToolingGivesThem(@TempDir Path tmp) {
        Path dir = tmp.resolve("synth");
        SyntheticCheckpoint.write(dir, SyntheticCheckpoint.Shape.named("tiny", null), new SyntheticCheckpoint.Quant(4, 32, true), null, 7);
        try (Checkpoint checkpoint = Checkpoint.open(dir, "model")) {
            for (int layer = 0; layer < 2; layer++) {
                String p = "model.layers." + layer + ".";
                int[] q = gIdx(checkpoint, p + "self_attn.q_proj"), gate = gIdx(checkpoint, p + "mlp.gate_proj");
                assertThat(gIdx(checkpoint, p + "self_attn.k_proj")).isEqualTo(q);
                assertThat(gIdx(checkpoint, p + "self_attn.v_proj")).isEqualTo(q);
                assertThat(gIdx(checkpoint, p + "mlp.up_proj")).isEqualTo(gate);
                assertThat(gIdx(checkpoint, p + "self_attn.o_proj")).as("o_proj reads another input").isNotEqualTo(q);
                assertThat(gate).as("gate reads another input").isNotEqualTo(q);
                int[] sorted = q.clone();
                java.util.Arrays.sort(sorted);
                assertThat(q).as("act-order scatters the groups").isNotEqualTo(sorted);
            }
        }
    }

    private static int[] gIdx(Checkpoint checkpoint, String layer) {
        Tensor t = checkpoint.get(layer + ".g_idx");
        int[] g = new int[t.dim(0)];
        for (int k = 0; k < g.length; k++) g[k] = t.getInt(k);
        return g;
    }

    @Test
    void refusesANonEmptyTarget(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("keep.txt"), "x");
        assertThatThrownBy(() -> SyntheticCheckpoint.write(tmp, SyntheticCheckpoint.Shape.named("tiny", null),
                new SyntheticCheckpoint.Quant(4, 128, false), null, 1)).hasMessageContaining("not empty");
        assertThat(tmp.resolve("keep.txt")).exists();
    }

    /** Entries of a folder. */
    private static final class Stream implements AutoCloseable {
        final long count;

        Stream(Path dir) throws Exception {
            try (var s = Files.list(dir)) {
                count = s.count();
            }
        }

        @Override
        public void close() {}
    }
}
