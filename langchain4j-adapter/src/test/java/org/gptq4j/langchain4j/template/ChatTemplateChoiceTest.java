package org.gptq4j.langchain4j.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gptq4j.model.ModelFolder;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one rule: the template asked for, else the folder's declared template, else raw. */
class ChatTemplateChoiceTest {
    @TempDir
    Path dir;

    private ModelFolder folderWithTemplate() throws IOException {
        Files.copy(Fixtures.model(Fixtures.STORIES, "main").resolve("config.json"), dir.resolve("config.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<s>\", \"chat_template\": \"{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}\"}");
        return ModelFolder.read(dir);
    }

    @Test
    void theTemplateAskedForWins() throws IOException {
        ChatTemplate chosen = ChatTemplates.named(ChatTemplates.CHATML);
        assertThat(ChatTemplates.resolve(chosen, folderWithTemplate(), TemplateLimits.DEFAULT)).isSameAs(chosen);
    }

    @Test
    void elseTheFoldersTemplateBoundedByTheLimits() throws IOException {
        ChatTemplate template = ChatTemplates.resolve(null, folderWithTemplate(), TemplateLimits.DEFAULT);
        assertThat(template).isInstanceOf(JinjaChatTemplate.class);
        assertThat(((JinjaChatTemplate) template).limits()).isEqualTo(TemplateLimits.DEFAULT);
    }

    @Test
    void elseRaw() {
        assertThat(ChatTemplates.resolve(null, null, TemplateLimits.DEFAULT).name()).isEqualTo(ChatTemplates.RAW);
        ModelFolder stories = ModelFolder.read(Fixtures.model(Fixtures.STORIES, "main"));
        assertThat(ChatTemplates.resolve(null, stories, TemplateLimits.DEFAULT).name()).isEqualTo(ChatTemplates.RAW);
    }
}
