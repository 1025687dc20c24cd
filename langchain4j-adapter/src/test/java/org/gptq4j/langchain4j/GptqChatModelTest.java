package org.gptq4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import java.util.List;
import org.gptq4j.langchain4j.template.JinjaChatTemplate;
import org.junit.jupiter.api.Test;

class GptqChatModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static GptqChatModel model(FakeBackend backend) {
        return GptqChatModel.builder().backend(backend).modelName("stories").build();
    }

    @Test
    void answers_with_text_usage_and_finish_reason() {
        FakeBackend backend = new FakeBackend(1).script("Once upon a time");
        ChatResponse response = model(backend).chat(ChatRequest.builder().messages(UserMessage.from("Hi")).build());

        assertThat(response.aiMessage().text()).isEqualTo("Once upon a time");
        assertThat(response.metadata().finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(response.metadata().modelName()).isEqualTo("stories");
        assertThat(response.metadata().tokenUsage().inputTokenCount()).isEqualTo(backend.lastPrompt.length);
        assertThat(response.metadata().tokenUsage().outputTokenCount())
                .isEqualTo(FakeBackend.TOKENIZER.encode("Once upon a time").length + 1); // + EOS
        assertThat(backend.lastPrompt[0]).isEqualTo(FakeBackend.TOKENIZER.bosId());
    }

    @Test
    void maps_every_parameter_onto_sampling() {
        FakeBackend backend = new FakeBackend(1).script("Once upon a time");
        ChatResponse response = model(backend).chat(ChatRequest.builder()
                .messages(UserMessage.from("Hi"))
                .parameters(GptqChatRequestParameters.builder()
                        .temperature(0.3).topP(0.5).topK(7).frequencyPenalty(0.2).presencePenalty(0.1)
                        .maxOutputTokens(2).stopSequences(List.of("END")).minP(0.05).repetitionPenalty(1.2).seed(9L)
                        .build())
                .build());
        var s = backend.lastSampling;
        assertThat(List.of(s.temperature(), s.topP(), s.frequencyPenalty(), s.presencePenalty(), s.minP(),
                s.repetitionPenalty())).containsExactly(0.3, 0.5, 0.2, 0.1, 0.05, 1.2);
        assertThat(s.topK()).isEqualTo(7);
        assertThat(s.maxNewTokens()).isEqualTo(2);
        assertThat(s.seed()).isEqualTo(9L);
        assertThat(s.stopSequences()).containsExactly("END");
        assertThat(s.stopTokenIds()).contains(FakeBackend.TOKENIZER.eosId());
        assertThat(response.metadata().finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(response.metadata().tokenUsage().outputTokenCount()).isEqualTo(2);
    }

    @Test
    void refuses_images_and_foreign_model_names_synchronously() {
        GptqChatModel model = model(new FakeBackend(1));
        assertThatThrownBy(() -> model.chat(UserMessage.from(TextContent.from("see"), ImageContent.from("aGk=", "image/png"))))
                .isExactlyInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("image").hasMessageContaining("not support");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("x"))
                        .parameters(ChatRequestParameters.builder().modelName("gpt-4").build()).build()))
                .isExactlyInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("modelName").hasMessageContaining("not support");
    }

    @Test
    void required_tool_choice_yields_a_schema_valid_tool_call() throws Exception {
        ToolSpecification weather = ToolSpecification.builder().name("getWeather")
                .parameters(JsonObjectSchema.builder().addStringProperty("city").addIntegerProperty("days")
                        .required("city", "days").build())
                .build();
        for (long seed = 0; seed < 10; seed++) {
            ChatResponse response = model(new FakeBackend(seed)).chat(ChatRequest.builder()
                    .messages(UserMessage.from("Weather in Munich?"))
                    .parameters(ChatRequestParameters.builder().toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED).build())
                    .build());
            assertThat(response.metadata().finishReason()).as(response.toString()).isEqualTo(FinishReason.TOOL_EXECUTION);
            ToolExecutionRequest call = response.aiMessage().toolExecutionRequests().getFirst();
            assertThat(call.name()).isEqualTo("getWeather");
            assertThat(call.id()).isNotBlank();
            JsonNode args = JSON.readTree(call.arguments());
            assertThat(args.get("city").isTextual()).isTrue();
            assertThat(args.get("days").isIntegralNumber()).isTrue();
        }
    }

    @Test
    void fifty_sampled_json_schema_outputs_all_parse_and_validate() throws Exception {
        String schema = """
                {"type":"object","properties":{
                  "name":{"type":"string","maxLength":12},
                  "age":{"type":"integer"},
                  "mood":{"enum":["happy","sad"]},
                  "pets":{"type":"array","items":{"type":"string","maxLength":6},"maxItems":3},
                  "height":{"type":["number","null"]},
                  "alive":{"type":"boolean"}},
                 "required":["name","age","mood","alive"],"additionalProperties":false}""";
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
        ResponseFormat format = ResponseFormat.builder().type(ResponseFormatType.JSON)
                .jsonSchema(JsonSchema.builder().name("Person").rootElement(JsonRawSchema.from(schema)).build()).build();
        for (long seed = 0; seed < 50; seed++) {
            ChatResponse response = model(new FakeBackend(seed)).chat(ChatRequest.builder()
                    .messages(UserMessage.from("Describe a person"))
                    .parameters(ChatRequestParameters.builder().responseFormat(format).build()).build());
            String text = response.aiMessage().text();
            JsonNode node = JSON.readTree(text);
            assertThat(validator.validate(node)).as(text).isEmpty();
            assertThat(response.metadata().finishReason()).isEqualTo(FinishReason.STOP);
        }
    }

    @Test
    void eos_spelled_in_tool_call_arguments_under_a_jinja_template_counts_as_text_not_as_eos_tokens() {
        // issue 15: "</s>" x 20 in tool-call arguments was 60 tokens shorter than the same-length "<-s>" x 20:
        // 20 real EOS tokens in the prompt
        String template = "{% for m in messages %}{% for c in m.tool_calls or [] %}{{ c.id }} {{ c.function.name }} "
                + "{{ c.function.arguments | tojson }}{% endfor %}{% if m.role == 'tool' %}{{ m.name }}{% endif %}"
                + "{{ m.content }}{{ eos_token }}{% endfor %}";
        GptqChatModel model = GptqChatModel.builder().backend(new FakeBackend(1).script("ok"))
                .chatTemplate(new JinjaChatTemplate(template, "<s>", "</s>")).build();

        int eos = inputTokens(model, "</s>".repeat(20));
        int text = inputTokens(model, "<-s>".repeat(20));

        assertThat(eos).isGreaterThanOrEqualTo(text);
    }

    private static final ToolSpecification CITY_TOOL = ToolSpecification.builder().name("getWeather")
            .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();

    private static ChatResponse toolAnswer(GptqChatModel model, Integer maxTokens) {
        return model.chat(ChatRequest.builder().messages(UserMessage.from("Weather in Munich and Paris?"))
                .parameters(ChatRequestParameters.builder().toolSpecifications(CITY_TOOL).maxOutputTokens(maxTokens)
                        .build()).build());
    }

    @Test
    void a_tool_call_cut_off_by_the_token_budget_keeps_the_complete_calls_and_finishes_with_length() {
        String first = "<tool_call>{\"name\": \"getWeather\", \"arguments\": {\"city\": \"Munich\"}}</tool_call>";
        String second = "\n<tool_call>{\"name\": \"getWeather\", \"arguments\": {\"city\": \"Paris\"}}</tool_call>";
        int budget = FakeBackend.TOKENIZER.encode(first + second).length - 4; // the second call is cut off
        ChatResponse response = toolAnswer(model(new FakeBackend(1).script(first + second)), budget);

        assertThat(response.aiMessage().toolExecutionRequests()).singleElement()
                .satisfies(call -> assertThat(call.arguments()).isEqualTo("{\"city\":\"Munich\"}"));
        assertThat(response.aiMessage().text()).as("markup never comes back as text").isNull();
        assertThat(response.metadata().finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void a_lone_tool_call_cut_off_gives_no_text_and_length() {
        String call = "<tool_call>{\"name\": \"getWeather\", \"arguments\": {\"city\": \"Munich\"}}</tool_call>";
        for (int budget : new int[] {2, 6, FakeBackend.TOKENIZER.encode(call).length - 2}) {
            ChatResponse response = toolAnswer(model(new FakeBackend(1).script(call)), budget);
            assertThat(response.aiMessage().hasToolExecutionRequests()).as("budget " + budget).isFalse();
            assertThat(response.aiMessage().text()).as("budget " + budget).isEmpty();
            assertThat(response.metadata().finishReason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    @Test
    void text_that_merely_starts_with_a_bracket_stays_text() {
        ChatResponse response = toolAnswer(model(new FakeBackend(1).script("<b>sunny</b>")), null);
        assertThat(response.aiMessage().text()).isEqualTo("<b>sunny</b>");
        assertThat(response.metadata().finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void parallel_tool_calls_are_on_by_default_up_to_four_and_can_be_turned_off() {
        String call = "<tool_call>{\"name\": \"getWeather\", \"arguments\": {\"city\": \"Munich\"}}</tool_call>";
        GrammarAnswers answers = new GrammarAnswers();
        assertThat(answers.accepts(GptqChatModel.builder(), call + "\n" + call)).as("two calls, by default").isTrue();
        assertThat(answers.accepts(GptqChatModel.builder(), (call + "\n").repeat(3) + call)).as("four calls").isTrue();
        assertThat(answers.accepts(GptqChatModel.builder(), (call + "\n").repeat(4) + call)).as("five calls").isFalse();
        assertThat(answers.accepts(GptqChatModel.builder().parallelToolCalls(false), call + "\n" + call))
                .as("two calls, parallel calls off").isFalse();

        ChatResponse two = toolAnswer(model(new FakeBackend(1).script(call + "\n" + call)), null);
        assertThat(two.aiMessage().toolExecutionRequests()).hasSize(2);
        assertThat(two.metadata().finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
    }

    @Test
    void logprobs_report_each_chosen_token_and_its_most_likely_alternatives() {
        ChatResponse response = model(new FakeBackend(3)).chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .parameters(GptqChatRequestParameters.builder().maxOutputTokens(12).logprobs(true).topLogprobs(3).build())
                .build());
        List<TokenLogprob> logprobs = ((GptqChatResponseMetadata) response.metadata()).logprobs();

        assertThat(logprobs).hasSize(response.metadata().tokenUsage().outputTokenCount());
        StringBuilder text = new StringBuilder();
        for (TokenLogprob entry : logprobs) {
            text.append(entry.token());
            assertThat(entry.logprob()).isNegative();
            assertThat(entry.topLogprobs()).hasSize(3);
            // the fake engine takes the most likely token: it heads the alternatives, which come most likely first
            assertThat(entry.topLogprobs().getFirst().tokenId()).isEqualTo(entry.tokenId());
            assertThat(entry.topLogprobs().getFirst().logprob()).isEqualTo(entry.logprob());
            assertThat(entry.topLogprobs().get(1).logprob()).isLessThanOrEqualTo(entry.topLogprobs().get(0).logprob());
        }
        assertThat(text.toString().strip()).isEqualTo(response.aiMessage().text().strip());

        ChatResponse plain = model(new FakeBackend(3)).chat(ChatRequest.builder().messages(UserMessage.from("Hi")).build());
        assertThat(((GptqChatResponseMetadata) plain.metadata()).logprobs()).as("not asked for").isNull();
    }

    @Test
    void logit_bias_moves_the_choice_and_bad_values_are_refused() {
        int token = FakeBackend.TOKENIZER.encode(" dog")[0];
        ChatResponse response = model(new FakeBackend(3)).chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .parameters(GptqChatRequestParameters.builder().maxOutputTokens(5)
                        .logitBias(java.util.Map.of(token, 100.0)).build()).build());
        assertThat(response.aiMessage().text()).isEqualTo(FakeBackend.TOKENIZER.decode(new int[] {token, token, token, token, token}));

        GptqChatModel model = model(new FakeBackend(3));
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .parameters(GptqChatRequestParameters.builder().logitBias(java.util.Map.of(1 << 20, 1.0)).build()).build()))
                .isInstanceOf(dev.langchain4j.exception.InvalidRequestException.class).hasMessageContaining("vocabulary");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .parameters(GptqChatRequestParameters.builder().logitBias(java.util.Map.of(token, 101.0)).build()).build()))
                .isInstanceOf(dev.langchain4j.exception.InvalidRequestException.class).hasMessageContaining("[-100, 100]");
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .parameters(GptqChatRequestParameters.builder().logprobs(true).topLogprobs(21).build()).build()))
                .isInstanceOf(dev.langchain4j.exception.InvalidRequestException.class).hasMessageContaining("topLogprobs");
    }

    @Test
    void a_request_may_turn_parallel_tool_calls_off() {
        String call = "<tool_call>{\"name\": \"getWeather\", \"arguments\": {\"city\": \"Munich\"}}</tool_call>";
        GptqChatModel model = model(new FakeBackend(1).script(call + "\n" + call));
        GenerationPlan plan = model.planner.plan(ChatRequest.builder().messages(UserMessage.from("Weather?"))
                .parameters(model.defaultRequestParameters().overrideWith(GptqChatRequestParameters.builder()
                        .toolSpecifications(CITY_TOOL).toolChoice(ToolChoice.REQUIRED).parallelToolCalls(false).build()))
                .build());
        org.gptq4j.langchain4j.constraint.GrammarConstraint grammar =
                (org.gptq4j.langchain4j.constraint.GrammarConstraint) plan.constraint();
        boolean refused = false;
        for (int token : FakeBackend.TOKENIZER.encode(call + "\n" + call)) {
            if (!grammar.allowedTokens().get(token)) {
                refused = true;
                break;
            }
            grammar.accept(token);
        }
        assertThat(refused).as("a second call, parallel calls off for this request").isTrue();
    }

    @Test
    void required_tool_choice_is_met_by_a_tool_result_unless_the_model_matches_openai() {
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("call_1").name("getWeather")
                .arguments("{\"city\": \"Munich\"}").build();
        ChatRequest afterToolResult = ChatRequest.builder()
                .messages(UserMessage.from("Weather?"), AiMessage.from(call),
                        ToolExecutionResultMessage.from(call, "sunny"))
                .parameters(ChatRequestParameters.builder().toolSpecifications(CITY_TOOL)
                        .toolChoice(ToolChoice.REQUIRED).build())
                .build();
        GptqChatModel relaxing = model(new FakeBackend(1));
        GptqChatModel strict = GptqChatModel.builder().backend(new FakeBackend(1)).relaxRequiredToolChoice(false).build();

        assertThat(relaxing.planner.plan(afterToolResult).toolMode()).isEqualTo(ToolMode.AUTO);
        assertThat(strict.planner.plan(afterToolResult).toolMode()).isEqualTo(ToolMode.REQUIRED);
        assertThat(strict.chat(afterToolResult).aiMessage().toolExecutionRequests()).as("as at OpenAI").isNotEmpty();
    }

    /** Whether the tool-call grammar of a model built as given accepts an answer, token by token. */
    private static final class GrammarAnswers {
        boolean accepts(GptqChatModel.GptqChatModelBuilder builder, String answer) {
            FakeBackend backend = new FakeBackend(1).script(answer);
            GptqChatModel model = builder.backend(backend).modelName("stories").build();
            GenerationPlan plan = model.planner.plan(ChatRequest.builder().messages(UserMessage.from("Weather?"))
                    .parameters(ChatRequestParameters.builder().toolSpecifications(CITY_TOOL)
                            .toolChoice(ToolChoice.REQUIRED).build()).build());
            org.gptq4j.langchain4j.constraint.GrammarConstraint grammar =
                    (org.gptq4j.langchain4j.constraint.GrammarConstraint) plan.constraint();
            for (int token : FakeBackend.TOKENIZER.encode(answer)) {
                if (!grammar.allowedTokens().get(token)) return false;
                grammar.accept(token);
            }
            return grammar.state().isAccepting();
        }
    }

    private static int inputTokens(GptqChatModel model, String spelled) {
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("call_" + spelled).name("get" + spelled)
                .arguments("{\"city\": \"" + spelled + "\"}").build();
        return model.chat(ChatRequest.builder().messages(UserMessage.from("weather?"), AiMessage.from(call),
                ToolExecutionResultMessage.from("call_1", "get" + spelled, "sunny"), UserMessage.from("thanks"))
                .build()).metadata().tokenUsage().inputTokenCount();
    }
}
