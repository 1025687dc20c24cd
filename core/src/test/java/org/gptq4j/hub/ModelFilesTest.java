package org.gptq4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Which files are chosen from a listing, and in which order they are fetched. */
class ModelFilesTest {
    @TempDir
    Path repo;
    final List<String> fetched = new ArrayList<>();

    /** A source that serves {@code contents} (JSON text; other files empty) and records every fetch. */
    private ModelFiles.Source source(Map<String, String> contents) {
        return file -> {
            fetched.add(file);
            try {
                return Files.writeString(repo.resolve(file.replace('/', '_')), contents.getOrDefault(file, ""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    @Test
    void baseNameFromTheQuantizeConfigWinsOverModelSafetensors() {
        List<String> listing = List.of("config.json", "quantize_config.json", "tokenizer.model", "README.md",
                "model.safetensors", "gptq_model-4bit-128g.safetensors", "pytorch_model.bin");
        ModelFiles files = ModelFiles.fetch(listing, source(Map.of("config.json", "{}",
                "quantize_config.json", "{\"model_file_base_name\": \"gptq_model-4bit-128g\"}")));

        assertThat(files.configs()).containsExactly("config.json", "quantize_config.json", "tokenizer.model");
        assertThat(files.weights()).containsExactly("gptq_model-4bit-128g.safetensors");
        assertThat(fetched).containsExactly("config.json", "quantize_config.json", "tokenizer.model",
                "gptq_model-4bit-128g.safetensors");
    }

    @Test
    void aChatTemplateJinjaIsFetchedWhenTheRepositoryHasOne() {
        List<String> listing = List.of("config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja",
                "model.safetensors");
        ModelFiles files = ModelFiles.fetch(listing, source(Map.of("config.json", "{}")));

        assertThat(files.configs()).containsExactly("config.json", "tokenizer.json", "tokenizer_config.json",
                "chat_template.jinja");
        assertThat(ModelFiles.fetch(List.of("config.json", "model.safetensors"), source(Map.of("config.json", "{}")))
                .configs()).containsExactly("config.json");
    }

    @Test
    void baseNameMayLiveInConfigJsonQuantizationConfig() {
        List<String> listing = List.of("config.json", "model.safetensors", "custom.safetensors");
        ModelFiles files = ModelFiles.fetch(listing, source(Map.of("config.json",
                "{\"quantization_config\": {\"bits\": 4, \"model_file_base_name\": \"custom\"}}")));

        assertThat(files.weights()).containsExactly("custom.safetensors");
    }

    @Test
    void shardedWeightsFetchTheIndexThenEveryShardOnce() {
        List<String> listing = List.of("config.json", "model.safetensors.index.json", "model-1.safetensors",
                "model-2.safetensors", "model-3.safetensors");
        ModelFiles files = ModelFiles.fetch(listing, source(Map.of("config.json", "{}",
                "model.safetensors.index.json", "{\"weight_map\": {\"a\": \"model-2.safetensors\","
                        + " \"b\": \"model-1.safetensors\", \"c\": \"model-2.safetensors\"}}")));

        assertThat(files.weights()).containsExactly("model.safetensors.index.json", "model-1.safetensors",
                "model-2.safetensors");
        assertThat(fetched).containsExactly("config.json", "model.safetensors.index.json", "model-1.safetensors",
                "model-2.safetensors");
    }

    @Test
    void theOnlySafetensorsFileIsTakenWhenNothingNamesOne() {
        ModelFiles files = ModelFiles.fetch(List.of("config.json", "llama-7b-4bit-128g.safetensors"),
                source(Map.of("config.json", "{}")));
        assertThat(files.weights()).containsExactly("llama-7b-4bit-128g.safetensors");
    }

    @Test
    void pickledWeightsAreNeverChosen() {
        HubException e = catchThrowableOfType(HubException.class, () -> ModelFiles.fetch(
                List.of("config.json", "pytorch_model.bin", "model.pt"), source(Map.of("config.json", "{}"))));

        assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND);
        assertThat(e.getMessage()).contains("no safetensors weights", ".bin");
        assertThat(fetched).containsExactly("config.json");
    }

    @Test
    void aRepositoryWithoutConfigJsonIsNotAModel() {
        HubException e = catchThrowableOfType(HubException.class,
                () -> ModelFiles.fetch(List.of("model.safetensors"), source(Map.of())));
        assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND);
        assertThat(e.getMessage()).contains("config.json");
    }

    @Test
    void anIndexNamingAShardThatIsNotListedIsAnError() {
        HubException e = catchThrowableOfType(HubException.class, () -> ModelFiles.fetch(
                List.of("config.json", "model.safetensors.index.json"), source(Map.of("config.json", "{}",
                        "model.safetensors.index.json", "{\"weight_map\": {\"a\": \"gone.safetensors\"}}"))));
        assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND);
        assertThat(e.getMessage()).contains("gone.safetensors");
    }
}
