package org.gptq4j.spring.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.junit.jupiter.api.Test;

/** OpenAI request bodies become the LangChain4j requests the chat model (templates, tools, grammar) understands. */
class OpenAiRequestMapperTest {
    private final ObjectMapper json = new ObjectMapper();
    private final OpenAiRequestMapper mapper = new OpenAiRequestMapper(json);

    private OpenAiRequestMapper.Parsed read(String body) throws Exception {
        return mapper.read(json.readTree(body));
    }

    @Test
    void mapsSamplingParametersIncludingTheGptqExtras() throws Exception {
        ChatRequest r = read("""
                {"messages": [{"role": "developer", "content": "Be brief"}, {"role": "user",
                  "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}],
                 "temperature": 0.2, "top_p": 0.8, "top_k": 5, "max_tokens": 9, "seed": 3, "stop": "END",
                 "repetition_penalty": 1.2, "frequency_penalty": 0.5}""").request();
        assertThat(r.messages()).containsExactly(SystemMessage.from("Be brief"), UserMessage.from("Hi there"));
        GptqChatRequestParameters p = (GptqChatRequestParameters) r.parameters();
        assertThat(p.temperature()).isEqualTo(0.2);
        assertThat(p.topP()).isEqualTo(0.8);
        assertThat(p.topK()).isEqualTo(5);
        assertThat(p.maxOutputTokens()).isEqualTo(9);
        assertThat(p.seed()).isEqualTo(3L);
        assertThat(p.stopSequences()).containsExactly("END");
        assertThat(p.repetitionPenalty()).isEqualTo(1.2);
        assertThat(p.frequencyPenalty()).isEqualTo(0.5);
    }

    @Test
    void mapsToolsToolChoiceAndAToolRoundTrip() throws Exception {
        OpenAiRequestMapper.Parsed parsed = read("""
                {"messages": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "weather", "arguments": "{\\"city\\":\\"Paris\\"}"}}]},
                  {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}],
                 "tools": [{"type": "function", "function": {"name": "weather", "description": "Current weather",
                   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
                 "tool_choice": "required"}""");
        ChatRequest r = parsed.request();
        ToolSpecification tool = r.parameters().toolSpecifications().getFirst();
        assertThat(tool.name()).isEqualTo("weather");
        assertThat(tool.parameters().properties().get("city")).isInstanceOf(JsonStringSchema.class);
        assertThat(tool.parameters().required()).containsExactly("city");
        assertThat(r.parameters().toolChoice()).isEqualTo(ToolChoice.REQUIRED);
        AiMessage call = (AiMessage) r.messages().get(1);
        assertThat(call.toolExecutionRequests().getFirst().arguments()).isEqualTo("{\"city\":\"Paris\"}");
        ToolExecutionResultMessage result = (ToolExecutionResultMessage) r.messages().get(2);
        assertThat(result.id()).isEqualTo("call_1");
        assertThat(result.toolName()).isEqualTo("weather");
        assertThat(result.text()).isEqualTo("sunny");
    }

    @Test
    void mapsJsonModeAndJsonSchemaForTheConstrainedDecoder() throws Exception {
        assertThat(read("""
                {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}""")
                .request().parameters().responseFormat().type()).isEqualTo(ResponseFormatType.JSON);
        var format = read("""
                {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema",
                 "json_schema": {"name": "person", "strict": true, "schema": {"type": "object",
                 "properties": {"name": {"type": "string"}}, "required": ["name"]}}}}""").request().parameters().responseFormat();
        assertThat(format.type()).isEqualTo(ResponseFormatType.JSON);
        assertThat(format.jsonSchema().name()).isEqualTo("person");
        assertThat(((JsonRawSchema) format.jsonSchema().rootElement()).schema()).contains("\"required\":[\"name\"]");
    }

    @Test
    void streamOptionsAndModelAreKept() throws Exception {
        OpenAiRequestMapper.Parsed parsed = read("""
                {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": true,
                 "stream_options": {"include_usage": true}}""");
        assertThat(parsed.model()).isEqualTo("m");
        assertThat(parsed.stream()).isTrue();
        assertThat(parsed.includeUsage()).isTrue();
    }

    @Test
    void refusesWhatItCannotMapNamingTheField() {
        assertThatThrownBy(() -> read("{\"messages\": []}")).hasFieldOrPropertyWithValue("param", "messages");
        assertThatThrownBy(() -> read("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 2}"))
                .hasFieldOrPropertyWithValue("param", "n");
        assertThatThrownBy(() -> read("{\"messages\": [{\"role\": \"critic\", \"content\": \"x\"}]}"))
                .hasFieldOrPropertyWithValue("param", "messages[0].role");
        assertThatThrownBy(() -> read("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": \"hot\"}"))
                .hasFieldOrPropertyWithValue("param", "temperature");
    }

    /** {@code max_tokens} 4294967297 became 1 token, {@code top_k} 2^32 became 0: values that do not fit are refused. */
    @Test
    void numbersThatDoNotFitTheirFieldAreRefusedNotWrapped() {
        String[][] cases = {{"max_tokens", "4294967297"}, {"max_tokens", "0"}, {"max_tokens", "2.5"}, {"top_k", "4294967296"},
                {"top_k", "-1"}, {"n", "4294967297"}, {"seed", "18446744073709551616"}, {"temperature", "1e400"},
                {"temperature", "-1"}, {"top_p", "0"}, {"min_p", "1.5"}, {"presence_penalty", "-2.5"},
                {"repetition_penalty", "0"}, {"stream", "1"}};
        for (String[] c : cases) {
            assertThatThrownBy(() -> read("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"" + c[0] + "\": "
                    + c[1] + "}")).as(c[0] + "=" + c[1]).isInstanceOf(OpenAiException.class)
                    .hasFieldOrPropertyWithValue("param", c[0]).hasMessageStartingWith(c[0] + " must");
        }
    }

    @Test
    void theServersCapBoundsMaxTokensAndFillsItInWhenUnset() throws Exception {
        OpenAiRequestMapper capped = new OpenAiRequestMapper(json, 100);
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]";
        assertThatThrownBy(() -> capped.read(json.readTree(body + ", \"max_completion_tokens\": 101}"), 100))
                .hasFieldOrPropertyWithValue("param", "max_completion_tokens");
        assertThat(capped.read(json.readTree(body + ", \"max_tokens\": 100}"), 100).request().parameters().maxOutputTokens())
                .isEqualTo(100);
        assertThat(capped.read(json.readTree(body + "}"), 64).request().parameters().maxOutputTokens()).isEqualTo(64);
    }
}
