package org.gptq4j.io;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/** Tensors that older exporters leave behind load and leave the logits as they were: zero biases and stray buffers. */
class ToleratedTensorsTest {

    private static final int[] IDS = {1, 17, 300, 42, 511, 7};

    @Test
    void zeroBiasesAndRotaryBuffersChangeNothing(@TempDir Path dir) {
        // The asym branch is the one without bias tensors; add zero ones, plus the inv_freq buffer transformers < 4.31 saved.
        Path original = Fixtures.model(Fixtures.TINY, "asym-4bit-128g-noact-config");
        Path folder = CheckpointCopy.of(original, dir);
        CheckpointCopy.editTensors(folder.resolve("model.safetensors"), entries -> {
            assertThat(entries).noneMatch(e -> e.name().endsWith(".bias"));
            entries.add(CheckpointCopy.zeros("model.layers.0.self_attn.q_proj.bias", DType.F16, 128));
            entries.add(CheckpointCopy.zeros("model.layers.1.mlp.down_proj.bias", DType.F16, 128));
            entries.add(CheckpointCopy.zeros("model.layers.0.self_attn.rotary_emb.inv_freq", DType.F32, 16));
            entries.add(CheckpointCopy.zeros("model.layers.1.self_attn.rotary_emb.inv_freq", DType.F32, 16));
        });
        float[][] expected = ModelRun.logits(original, IDS), actual = ModelRun.logits(folder, IDS);
        // Adding a zero bias may move a float32 rounding (the sum is formed in another order), never more.
        for (int p = 0; p < IDS.length; p++) assertThat(actual[p]).containsExactly(expected[p], offset(1e-5f));
    }
}
