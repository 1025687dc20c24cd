package org.gptq4j.model;

import org.gptq4j.io.CheckpointCopy;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Quantization gptq4j does not implement is refused with {@link UnsupportedModelException} saying what was found and
 * what is supported; malformed settings with {@link ConfigException}.
 */
class GptqConfigRefusalTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "bits {0}")
    @ValueSource(ints = {1, 5, 6, 16, 0, -4})
    void refusesUnsupportedBitWidth(int bits) {
        assertUnsupported("{\"bits\": " + bits + ", \"group_size\": 128}", "bits " + bits + " is not supported", "supported: 2, 3, 4, 8");
    }

    static Stream<Arguments> unsupportedSchemes() {
        return Stream.of(
                arguments("{\"bits\": 4, \"checkpoint_format\": \"marlin\"}", new String[]{"checkpoint_format 'marlin'", "supported: gptq, gptq_v2"}),
                arguments("{\"bits\": 4, \"is_marlin_format\": true}", new String[]{"is_marlin_format true", "Marlin", "supported: checkpoint_format gptq, gptq_v2"}),
                arguments("{\"bits\": 4, \"quant_method\": \"awq\"}", new String[]{"quant_method 'awq'", "supported: gptq"}),
                arguments("{\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true}", new String[]{"quant_method 'bitsandbytes'", "supported: gptq"}),
                arguments("{\"quant_method\": \"exl2\", \"bits\": 4.65}", new String[]{"quant_method 'exl2'", "supported: gptq"}),
                // AutoAWQ's quant_config.json names no method; its keys give it away.
                arguments("{\"zero_point\": true, \"q_group_size\": 128, \"w_bit\": 4, \"version\": \"GEMM\"}",
                        new String[]{"quant_method 'awq'", "supported: gptq"}),
                arguments("{\"bits\": 4, \"dynamic\": {\"+:.*\\\\.mlp\\\\..*\": {\"bits\": 8}}}",
                        new String[]{"per-module overrides in 'dynamic'", "supported: one bits/group_size setting"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupportedSchemes")
    void refusesOtherQuantizationSchemes(String json, String[] messageNames) {
        assertUnsupported(json, messageNames);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                arguments("{\"bits\": \"four\"}", new String[]{"bits must be an integer, got \"four\""}),
                arguments("{\"bits\": 4.0}", new String[]{"bits must be an integer, got 4.0"}),
                arguments("{\"group_size\": 128}", new String[]{"missing required key bits"}),
                arguments("{\"bits\": 4, \"group_size\": 0}", new String[]{"group_size 0 is not valid", "-1", "positive integer"}),
                arguments("{\"bits\": 4, \"group_size\": -2}", new String[]{"group_size -2 is not valid"}),
                arguments("{\"bits\": 4, \"desc_act\": \"true\"}", new String[]{"desc_act must be true or false, got \"true\""}),
                arguments("{\"bits\": 4, \"is_marlin_format\": 1}", new String[]{"is_marlin_format must be true or false"}),
                arguments("[4]", new String[]{"expected a JSON object"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void refusesMalformedSettings(String json, String[] messageNames) {
        assertThatThrownBy(() -> GptqConfig.parse(GptqConfigTest.json(json), "quantize_config.json"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("quantize_config.json")
                .hasMessageContainingAll(messageNames);
    }

    @Test
    void loadRefusesFiveBitQuantizeConfig() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.editJson(folder.resolve("quantize_config.json"), q -> q.put("bits", 5));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContainingAll(folder.resolve("quantize_config.json").toString(), "bits 5 is not supported", "supported: 2, 3, 4, 8");
    }

    @Test
    void loadRefusesMarlinInConfigJsonQuantizationConfig() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "asym-4bit-128g-noact-config"), dir);
        CheckpointCopy.editJson(folder.resolve("config.json"), c -> c.withObjectProperty("quantization_config").put("checkpoint_format", "marlin"));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageContainingAll("config.json quantization_config", "checkpoint_format 'marlin' is not supported");
    }

    @Test
    void loadRefusesBaseNameLeadingOutOfTheFolder() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "oldname-4bit-128g"), dir);
        CheckpointCopy.editJson(folder.resolve("quantize_config.json"), q -> q.put("model_file_base_name", "../main/model"));
        assertThatThrownBy(() -> LlamaModel.load(folder))
                .isInstanceOf(org.gptq4j.io.CheckpointException.class)
                .hasMessageContainingAll("model_file_base_name '../main/model' is not a plain file name");
    }

    private static void assertUnsupported(String json, String... messageNames) {
        assertThatThrownBy(() -> GptqConfig.parse(GptqConfigTest.json(json), "quantize_config.json"))
                .isInstanceOf(UnsupportedModelException.class)
                .hasMessageStartingWith("quantize_config.json")
                .hasMessageContainingAll(messageNames);
    }
}
