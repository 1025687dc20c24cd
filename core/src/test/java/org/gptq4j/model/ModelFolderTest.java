package org.gptq4j.model;

import org.gptq4j.hub.ModelFiles;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A model folder is read once, into the config, quantization, chat-template source and generation defaults. */
class ModelFolderTest {
    private static final Path STORIES = Fixtures.model(Fixtures.STORIES, "main");

    @TempDir
    Path dir;

    @Test
    void readsEveryConfigurationFileOfTheFolder() {
        ModelFolder folder = ModelFolder.read(STORIES);

        assertThat(folder.path()).isEqualTo(STORIES);
        assertThat(folder.config()).isEqualTo(LlamaConfig.read(STORIES));
        assertThat(folder.quantization()).map(GptqConfig::bits).contains(4);
        assertThat(folder.chatTemplate()).isEqualTo(new ChatTemplateSource(Optional.empty(), "<s>", "</s>"));
        assertThat(folder.generationDefaults())
                .isEqualTo(new GenerationDefaults(true, 0.7, 0.95, 40, 1.1, 512, List.of(2)));
        assertThat(folder.loadTokenizer().vocabSize()).isEqualTo(folder.config().vocabSize());
    }

    @Test
    void theHubDownloadsTheFilesTheFolderReads() {
        assertThat(ModelFiles.CONFIG_FILES).isSameAs(ModelFolder.FILES).containsExactly("config.json",
                "generation_config.json", "quantize_config.json", "quant_config.json", "tokenizer.model", "tokenizer.json",
                "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json");
    }

    @Test
    void aChatTemplateFileWinsOverTokenizerConfigAndANamedListTakesItsDefault() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<B>"}, "eos_token": "<E>",
                 "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""");
        assertThat(ChatTemplateSource.read(dir)).isEqualTo(new ChatTemplateSource(Optional.of("D"), "<B>", "<E>"));

        Files.writeString(dir.resolve("chat_template.jinja"), "J");
        assertThat(ChatTemplateSource.read(dir).template()).contains("J");
    }

    @Test
    void anOversizedChatTemplateFileIsRefusedUnread() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("chat_template.jinja").toFile(), "rw")) {
            f.setLength(17L * 1024 * 1024);
        }
        assertThatThrownBy(() -> ChatTemplateSource.read(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("chat_template.jinja").hasMessageContaining("larger than any config file");
    }

    @Test
    void aGenerationConfigKeyOfTheWrongTypeNamesTheFileAndKey() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"temperature\": \"hot\"}");
        assertThatThrownBy(() -> GenerationDefaults.read(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("generation_config.json").hasMessageContaining("temperature must be a number");
        assertThat(GenerationDefaults.read(dir.resolve("absent"))).isEqualTo(GenerationDefaults.NONE);
    }

    @Test
    void aMissingFolderOrConfigIsAClearError() {
        assertThatThrownBy(() -> ModelFolder.read(dir.resolve("nope"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ModelFolder.read(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("has no config.json");
    }
}
