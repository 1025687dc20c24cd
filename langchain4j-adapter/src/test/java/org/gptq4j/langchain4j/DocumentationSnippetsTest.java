package org.gptq4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.service.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gptq4j.langchain4j.it.SharedEngine;
import org.junit.jupiter.api.Test;

/** {@code docs/langchain4j.md} shows code that compiles and runs: its java blocks are {@link DocumentationSnippets}. */
class DocumentationSnippetsTest {
    private static final Path DOC = Path.of("..", "docs", "langchain4j.md");
    private static final Path SNIPPETS = Path.of("src", "test", "java", "org", "gptq4j", "langchain4j",
            "DocumentationSnippets.java");

    @Test
    void every_java_block_of_the_document_is_in_the_snippets_class() throws Exception {
        List<String> blocks = javaBlocks(Files.readString(DOC));
        String source = normalize(Files.readString(SNIPPETS));

        assertThat(blocks).hasSizeGreaterThanOrEqualTo(4);
        for (String block : blocks) {
            assertThat(source).as("docs/langchain4j.md block not in DocumentationSnippets.java").contains(normalize(block));
        }
    }

    @Test
    void usage_chats_and_streams() {
        List<String> texts = DocumentationSnippets.chatAndStream(SharedEngine.MODEL);
        assertThat(texts).hasSize(2).allSatisfy(text -> assertThat(text).isNotBlank());
    }

    @Test
    void json_schema_output_parses() throws Exception {
        GptqChatModel model = GptqChatModel.builder().engine(SharedEngine.ENGINE).build();
        JsonNode person = new ObjectMapper().readTree(DocumentationSnippets.jsonSchema(model));
        assertThat(person.get("name").isTextual()).isTrue();
        assertThat(person.get("age").isInt()).isTrue();
    }

    @Test
    void assistant_calls_the_tool_and_answers() throws Exception {
        Result<String> result = DocumentationSnippets.assistantWithTools(SharedEngine.ENGINE);
        assertThat(result.toolExecutions()).isNotEmpty();
        ToolExecutionRequest call = result.toolExecutions().getFirst().request();
        assertThat(call.name()).isEqualTo("hour");
        assertThat(new ObjectMapper().readTree(call.arguments()).get("arg0").isTextual()).as(call.arguments()).isTrue();
        assertThat(result.toolExecutions().getFirst().result()).isEqualTo("12");
        assertThat(result.content()).isNotNull();
    }

    @Test
    void token_window_memory_counts_with_the_model() {
        GptqChatModel model = GptqChatModel.builder().engine(SharedEngine.ENGINE).build();
        ChatMemory memory = DocumentationSnippets.tokenWindowMemory(model);
        memory.add(SystemMessage.from("You tell stories."));
        for (int i = 0; i < 60; i++) {
            memory.add(UserMessage.from("Tell me story number " + i));
            memory.add(AiMessage.from("Once upon a time there was a dog called Max number " + i));
        }
        assertThat(model.tokenCountEstimator().estimateTokenCountInMessages(memory.messages())).isLessThanOrEqualTo(400);
        assertThat(memory.messages()).hasSizeLessThan(121).first().isEqualTo(SystemMessage.from("You tell stories."));
    }

    private static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) blocks.add(m.group(1));
        return blocks;
    }

    /** Lines stripped of indentation, blank lines dropped: the document may indent differently. */
    private static String normalize(String code) {
        return code.lines().map(String::strip).filter(line -> !line.isEmpty())
                .reduce("", (a, b) -> a + b + "\n");
    }
}
