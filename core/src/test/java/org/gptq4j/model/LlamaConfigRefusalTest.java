package org.gptq4j.model;

import org.gptq4j.io.CheckpointCopy;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * config.json that describes something other than a Llama gptq4j can run is refused with
 * {@link UnsupportedModelException}; one that is malformed, with {@link ConfigException}. Each message names the key,
 * what was found and, for unsupported features, what is supported.
 */
class LlamaConfigRefusalTest {

    @TempDir
    Path dir;

    static Stream<Arguments> unsupported() {
        return Stream.of(
                arguments("{\"model_type\": \"mistral\", \"architectures\": [\"MistralForCausalLM\"], \"sliding_window\": 4096}",
                        new String[]{"model_type 'mistral'", "MistralForCausalLM", "supported: model_type 'llama'"}),
                arguments("{\"model_type\": \"gpt2\"}", new String[]{"model_type 'gpt2'", "supported: model_type 'llama'"}),
                arguments("{\"architectures\": [\"GPT2LMHeadModel\"]}", new String[]{"model_type (absent)", "GPT2LMHeadModel", "supported"}),
                arguments("{}", new String[]{"model_type (absent)", "architectures []", "supported"}),
                arguments("{\"model_type\": \"llama\", \"architectures\": [\"LlamaForSequenceClassification\"]}",
                        new String[]{"LlamaForSequenceClassification", "supported: model_type 'llama', architecture LlamaForCausalLM"}),
                arguments("{\"model_type\": \"llama\", \"hidden_act\": \"gelu\"}", new String[]{"hidden_act 'gelu' is not supported", "supported: silu"}),
                arguments("{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}}",
                        new String[]{"rope_scaling", "rope scaling type 'yarn' is not supported", "supported: default, linear, dynamic, llama3"}),
                arguments("{\"model_type\": \"llama\", \"rope_parameters\": {\"rope_type\": \"longrope\", \"rope_theta\": 10000.0}}",
                        new String[]{"rope_parameters", "'longrope' is not supported"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupported")
    void refusesUnsupportedModel(String json, String[] messageNames) {
        assertThatThrownBy(() -> LlamaConfigTest.parse(json))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageStartingWith("config.json")
                .hasMessageContainingAll(messageNames);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                arguments("{\"model_type\": \"llama\", \"hidden_size\": \"big\"}", new String[]{"hidden_size must be an integer, got \"big\""}),
                arguments("{\"model_type\": \"llama\", \"hidden_size\": 4096.5}", new String[]{"hidden_size must be an integer, got 4096.5"}),
                arguments("{\"model_type\": \"llama\", \"num_attention_heads\": 0}", new String[]{"num_attention_heads must be a positive integer, got 0"}),
                arguments("{\"model_type\": \"llama\", \"num_attention_heads\": 32, \"num_key_value_heads\": 5}",
                        new String[]{"num_attention_heads 32 is not a multiple of num_key_value_heads 5"}),
                arguments("{\"model_type\": \"llama\", \"hidden_size\": 100, \"num_attention_heads\": 3}",
                        new String[]{"hidden_size 100 is not divisible by num_attention_heads 3"}),
                arguments("{\"model_type\": \"llama\", \"head_dim\": 33}", new String[]{"head_dim 33 must be even"}),
                arguments("{\"model_type\": \"llama\", \"rms_norm_eps\": -1}", new String[]{"rms_norm_eps must be a positive number, got -1"}),
                arguments("{\"model_type\": \"llama\", \"tie_word_embeddings\": \"yes\"}", new String[]{"tie_word_embeddings must be true or false"}),
                arguments("{\"model_type\": \"llama\", \"eos_token_id\": [2, \"</s>\"]}", new String[]{"eos_token_id must be an integer, got \"</s>\""}),
                arguments("{\"model_type\": 7}", new String[]{"model_type must be a string, got 7"}),
                arguments("{\"model_type\": \"llama\", \"rope_scaling\": \"linear\"}", new String[]{"rope_scaling must be an object or null"}),
                arguments("{\"model_type\": \"llama\", \"rope_parameters\": 10000.0}", new String[]{"rope_parameters must be an object"}),
                arguments("{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"linear\"}}", new String[]{"rope_scaling", "missing required key factor"}),
                arguments("{\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 0.5}}", new String[]{"factor must be >= 1.0, got 0.5"}),
                arguments("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"high_freq_factor\": 4.0,"
                        + " \"original_max_position_embeddings\": 8192}}", new String[]{"missing required key low_freq_factor"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void refusesMalformedConfig(String json, String[] messageNames) {
        assertThatThrownBy(() -> LlamaConfigTest.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config.json")
                .hasMessageContainingAll(messageNames);
    }

    /**
     * Sizes derived from config.json are computed exactly: {@code head_dim} 2^30+8 made 32 heads' query width wrap to
     * 256 (and 4 heads' to 32) so that the model loaded and every request then failed with an index error; 2^29+8 heads
     * of 8 wrapped to 64; head_dim 10^9 was refused with a message showing -294967296.
     */
    static Stream<Arguments> oversized() {
        return Stream.of(
                arguments("{\"model_type\": \"llama\", \"head_dim\": 1073741832}",
                        new String[]{"num_attention_heads 32 x head_dim 34359738624 exceeds", "16777216"}),
                arguments("{\"model_type\": \"llama\", \"hidden_size\": 128, \"num_attention_heads\": 4, \"head_dim\": 1073741832}",
                        new String[]{"num_attention_heads 4 x head_dim 4294967328 exceeds"}),
                arguments("{\"model_type\": \"llama\", \"hidden_size\": 128, \"num_attention_heads\": 536870920, \"num_key_value_heads\": 2,"
                        + " \"head_dim\": 8}", new String[]{"num_attention_heads 536870920 x head_dim 4294967360 exceeds"}),
                arguments("{\"model_type\": \"llama\", \"num_attention_heads\": 4, \"head_dim\": 1000000000}",
                        new String[]{"num_attention_heads 4 x head_dim 4000000000 exceeds"}),
                arguments("{\"model_type\": \"llama\", \"num_key_value_heads\": 1, \"num_attention_heads\": 32, \"head_dim\": 1048576}",
                        new String[]{"num_attention_heads 32 x head_dim 33554432 exceeds"}),
                arguments("{\"model_type\": \"llama\", \"vocab_size\": 16777217}", new String[]{"vocab_size 16777217 exceeds"}),
                arguments("{\"model_type\": \"llama\", \"hidden_size\": 2147483646, \"head_dim\": 128}", new String[]{"hidden_size 2147483646 exceeds"}),
                arguments("{\"model_type\": \"llama\", \"intermediate_size\": 2147483647}", new String[]{"intermediate_size 2147483647 exceeds"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oversized")
    void refusesSizesThatDoNotFit(String json, String[] messageNames) {
        assertThatThrownBy(() -> LlamaConfigTest.parse(json))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config.json")
                .hasMessageContainingAll(messageNames)
                .hasMessageNotContaining("-");
    }

    @Test
    void aQueryWidthThatWrapsIsRefusedAtLoad() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        // 4 x (2^30 + 32) wraps to 128, the tiny model's real query width: the weights would have matched
        CheckpointCopy.editJson(folder.resolve("config.json"), c -> c.put("head_dim", (1 << 30) + 32));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll("config.json", "num_attention_heads 4 x head_dim 4294967424 exceeds");
    }

    @Test
    void refusesMissingConfigFile() throws IOException {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        Files.delete(folder.resolve("config.json"));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll(folder.toString(), "has no config.json");
    }

    @Test
    void refusesMissingModelFolder() {
        assertThatThrownBy(() -> LlamaModel.load(dir.resolve("nowhere")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll("nowhere", "does not exist");
    }

    static Stream<Arguments> unreadableFiles() {
        return Stream.of(
                arguments("[1, 2]", new String[]{"expected a JSON object, found array"}),
                arguments("", new String[]{"expected a JSON object, found nothing"}),
                arguments("{\"model_type\": \"llama\",", new String[]{"not valid JSON"}),
                arguments("{\"model_type\": \"llama\"} trailing", new String[]{"not valid JSON"}));
    }

    @ParameterizedTest(name = "config.json = {0}")
    @MethodSource("unreadableFiles")
    void refusesConfigFileThatIsNotAJsonObject(String text, String[] messageNames) {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.write(folder.resolve("config.json"), text);
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(ConfigException.class)
                .hasMessageContainingAll(folder.resolve("config.json").toString())
                .hasMessageContainingAll(messageNames);
    }

    @Test
    void refusesNonLlamaFolderThroughLoad() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editJson(folder.resolve("config.json"), c -> c.put("model_type", "mistral"));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContainingAll("model_type 'mistral'", "is not supported");
    }
}
