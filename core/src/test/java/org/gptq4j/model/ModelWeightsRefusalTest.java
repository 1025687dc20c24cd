package org.gptq4j.model;

import org.gptq4j.io.CheckpointCopy;
import org.gptq4j.io.CheckpointException;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Weights that do not match config.json are refused at load, naming the tensor, rather than computed with. */
class ModelWeightsRefusalTest {

    @TempDir
    Path dir;

    @Test
    void refusesUntiedModelWithoutLmHead() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editTensors(folder.resolve("model.safetensors"), entries -> entries.removeIf(e -> e.name().startsWith("lm_head.")));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContainingAll("lm_head.qweight", "lm_head.weight");
    }

    @Test
    void refusesEmbeddingsOfAnotherVocabularySize() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editJson(folder.resolve("config.json"), c -> c.put("vocab_size", 600));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContainingAll("model.embed_tokens.weight", "[512, 128]", "[600, 128]");
    }

    @Test
    void refusesConfigWithMoreLayersThanTheCheckpoint() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editJson(folder.resolve("config.json"), c -> c.put("num_hidden_layers", 3));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.layers.2.");
    }

    @Test
    void refusesQuantizedWeightsOfAnotherBitWidth() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editJson(folder.resolve("quantize_config.json"), q -> q.put("bits", 8));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("qweight");
    }
}
