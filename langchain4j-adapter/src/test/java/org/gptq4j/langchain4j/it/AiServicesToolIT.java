package org.gptq4j.langchain4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.constraint.GrammarLimits;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An AiServices tool loop on the tiny random-weight fixture with {@code toolChoice} REQUIRED: whatever the
 * (random) model would say, the grammar makes its first answer a call of the tool with arguments valid against
 * the tool's schema; the tool's result goes back and the model answers, which ends the conversation. A random
 * model writes garbage text, so this asserts structure, not content.
 */
class AiServicesToolIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Engine TINY = Engine.builder().modelPath(Fixtures.model(Fixtures.TINY, "main")).threads(1).build();

    /** What the assistant may do. */
    static final class Weather {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Tool
        String forecast(String city, int days, Unit unit) {
            calls.add(city + "|" + days + "|" + unit);
            return "sunny";
        }
    }

    enum Unit { CELSIUS, FAHRENHEIT }

    interface Assistant {
        Result<String> chat(String message);
    }

    @AfterAll
    static void closeEngine() {
        TINY.close();
    }

    @Test
    void required_tool_is_called_with_schema_valid_arguments_and_the_conversation_completes() throws Exception {
        ToolSpecification spec = ToolSpecifications.toolSpecificationsFrom(Weather.class).getFirst();
        var argumentSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(JSON.writeValueAsString(JsonSchemaElementUtils.toMap(spec.parameters())));
        for (long seed = 1; seed <= 3; seed++) {
            Weather weather = new Weather();
            MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(20);
            GptqChatModel model = GptqChatModel.builder()
                    .engine(TINY)
                    .toolChoice(ToolChoice.REQUIRED)
                    .grammarLimits(new GrammarLimits(12, 2, 2, 3)) // short strings and numbers: a whole call fits 160 tokens
                    .maxOutputTokens(160).seed(seed).temperature(1.0)
                    .build();
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model).tools(weather).chatMemory(memory).maxSequentialToolsInvocations(5)
                    .build();

            Result<String> result = assistant.chat("What is the weather in Munich in 3 days, in celsius?");

            assertThat(weather.calls).as("seed %d: %s %s", seed, memory.messages(), result.finalResponse()).isNotEmpty();
            assertThat(result.toolExecutions()).hasSameSizeAs(weather.calls);
            for (var execution : result.toolExecutions()) {
                ToolExecutionRequest call = execution.request();
                assertThat(call.name()).isEqualTo("forecast");
                assertThat(call.id()).isNotBlank();
                assertThat(argumentSchema.validate(JSON.readTree(call.arguments()))).as(call.arguments()).isEmpty();
                assertThat(execution.result()).isEqualTo("sunny");
            }
            // the conversation completed: the last answer is text, not another tool call
            assertThat(result.finishReason()).isIn(FinishReason.STOP, FinishReason.LENGTH);
            assertThat(result.content()).isNotNull();
            List<ChatMessage> messages = memory.messages();
            assertThat(messages.get(1)).isInstanceOfSatisfying(AiMessage.class,
                    first -> assertThat(first.hasToolExecutionRequests()).isTrue());
            assertThat(messages.get(2)).isInstanceOf(ToolExecutionResultMessage.class);
            assertThat(messages.getLast()).isInstanceOfSatisfying(AiMessage.class,
                    last -> assertThat(last.hasToolExecutionRequests()).isFalse());
        }
    }
}
