package org.gptq4j.model;

import org.gptq4j.io.CheckpointCopy;
import org.gptq4j.io.CheckpointException;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

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

    /** Two billion layers were allocated for (an OutOfMemoryError) before the checkpoint was asked for the second. */
    @Test
    void refusesAHugeLayerCountBeforeAllocatingForIt() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editJson(folder.resolve("config.json"), c -> c.put("num_hidden_layers", 2_000_000_000));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.layers.1999999999.");
    }

    /** in + group_size - 1 wrapped: 128 features "make 0" groups, and the first layer was refused for that. */
    @Test
    void aHugeGroupSizeMakesOneGroupWithoutOverflow() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editJson(folder.resolve("quantize_config.json"), q -> q.put("group_size", Integer.MAX_VALUE));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContainingAll("mlp.down_proj.scales has 2 groups", "make 1 ");
    }

    /**
     * NaN or infinite weights loaded, and every request then failed with "logit of token 0 is NaN". Scales, norms,
     * biases and every float matrix the model copies are now checked at load, naming the tensor.
     */
    static Stream<Arguments> nonFinite() {
        return Stream.of(
                arguments(Fixtures.TINY, "main", "model.layers.0.self_attn.q_proj.scales", Float.NaN),
                arguments(Fixtures.TINY, "main", "model.layers.1.mlp.down_proj.scales", Float.POSITIVE_INFINITY),
                arguments(Fixtures.TINY, "main", "model.layers.1.input_layernorm.weight", Float.NEGATIVE_INFINITY),
                arguments(Fixtures.TINY, "main", "model.norm.weight", Float.NaN),
                arguments(Fixtures.TINY, "main", "model.embed_tokens.weight", Float.NaN),
                arguments(Fixtures.TINY, "main", "lm_head.weight", Float.POSITIVE_INFINITY),
                arguments(Fixtures.STORIES, "fp16", "model.layers.0.mlp.down_proj.weight", Float.NaN),
                arguments(Fixtures.STORIES, "fp16", "model.layers.4.post_attention_layernorm.weight", Float.NaN));
    }

    @ParameterizedTest(name = "{2} = {3}")
    @MethodSource("nonFinite")
    void refusesNonFiniteWeightsNamingTheTensor(String repo, String branch, String tensor, float value) {
        Path folder = CheckpointCopy.of(Fixtures.model(repo, branch), dir);
        CheckpointCopy.editHalf(folder.resolve("model.safetensors"), tensor, 5, v -> value);
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContainingAll(tensor, String.valueOf(value), "finite");
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
