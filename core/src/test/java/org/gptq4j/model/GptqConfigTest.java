package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.io.CheckpointCopy;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GPTQ settings come from quantize_config.json, else quant_config.json, else config.json's quantization_config; an
 * unquantized folder has none.
 */
class GptqConfigTest {

    @TempDir
    Path dir;

    @Test
    void readsQuantizeConfigJson() {
        GptqConfig q = read(Fixtures.model(Fixtures.TINY, "main")).orElseThrow();
        assertThat(q).extracting(GptqConfig::bits, GptqConfig::groupSize, GptqConfig::descAct, GptqConfig::sym, GptqConfig::format,
                GptqConfig::modelFileBaseName).containsExactly(4, 128, true, true, GptqConfig.Format.GPTQ, "model");
        assertThat(q.source()).endsWith("quantize_config.json");
    }

    @Test
    void readsConfigJsonQuantizationConfigWhenItIsTheOnlyPlace() {
        GptqConfig q = read(Fixtures.model(Fixtures.TINY, "asym-4bit-128g-noact-config")).orElseThrow();
        assertThat(q).extracting(GptqConfig::bits, GptqConfig::groupSize, GptqConfig::descAct, GptqConfig::sym)
                .containsExactly(4, 128, false, false);
        assertThat(q.source()).endsWith("config.json quantization_config");
    }

    @Test
    void readsGptqV2Format() {
        assertThat(read(Fixtures.model(Fixtures.TINY, "gptqv2-4bit-128g-asym")).orElseThrow().format()).isEqualTo(GptqConfig.Format.GPTQ_V2);
    }

    @Test
    void unquantizedFolderHasNoSettings() {
        assertThat(read(Fixtures.model(Fixtures.STORIES, "fp16"))).isEmpty();
    }

    @Test
    void quantizeConfigJsonWinsOverQuantConfigJsonAndConfigJson() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir);
        CheckpointCopy.write(folder.resolve("quant_config.json"), "{\"bits\": 8, \"group_size\": 32}");
        CheckpointCopy.editJson(folder.resolve("config.json"), c -> c.putObject("quantization_config").put("bits", 2).put("quant_method", "gptq"));
        assertThat(read(folder).orElseThrow().bits()).isEqualTo(4);
    }

    @Test
    void quantConfigJsonWinsOverConfigJson() {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "asym-4bit-128g-noact-config"), dir);
        CheckpointCopy.write(folder.resolve("quant_config.json"), "{\"bits\": 8, \"group_size\": 32}");
        GptqConfig q = read(folder).orElseThrow();
        assertThat(q.bits()).isEqualTo(8);
        assertThat(q.source()).endsWith("quant_config.json");
    }

    @Test
    void absentKeysTakeAutoGptqDefaults() {
        GptqConfig q = GptqConfig.parse(json("{\"bits\": 3}"), "quantize_config.json");
        assertThat(q).extracting(GptqConfig::groupSize, GptqConfig::descAct, GptqConfig::sym, GptqConfig::format, GptqConfig::modelFileBaseName)
                .containsExactly(128, false, true, GptqConfig.Format.GPTQ, null);
    }

    @Test
    void groupSizeMinusOneMeansOneGroupPerColumn() {
        assertThat(GptqConfig.parse(json("{\"bits\": 8, \"group_size\": -1}"), "quantize_config.json").groupSize()).isEqualTo(-1);
    }

    private static Optional<GptqConfig> read(Path folder) {
        return GptqConfig.read(folder, JsonFiles.read(folder.resolve("config.json")));
    }

    static JsonNode json(String text) {
        try {
            return new ObjectMapper().readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
