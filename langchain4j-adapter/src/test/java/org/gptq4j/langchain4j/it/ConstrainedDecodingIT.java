package org.gptq4j.langchain4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import java.util.HashSet;
import java.util.Set;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.gptq4j.langchain4j.constraint.GrammarLimits;
import org.junit.jupiter.api.Test;

/**
 * JSON mode and JSON schemas on the real engine: the grammar reaches the engine through the request's
 * {@code LogitsConstraint}, so every sampled answer of a model that has never seen JSON parses and validates.
 */
class ConstrainedDecodingIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PERSON_SCHEMA = """
            {"type":"object","properties":{
              "name":{"type":"string","maxLength":12},
              "age":{"type":"integer"},
              "mood":{"enum":["happy","sad"]},
              "pets":{"type":"array","items":{"type":"string","maxLength":6},"maxItems":3},
              "height":{"type":["number","null"]},
              "alive":{"type":"boolean"}},
             "required":["name","age","mood","alive"],"additionalProperties":false}""";

    private final GptqChatModel model = GptqChatModel.builder().engine(SharedEngine.ENGINE)
            .temperature(1.0).topP(1.0).topK(0).repetitionPenalty(1.0).maxOutputTokens(400).build();

    @Test
    void fifty_sampled_outputs_parse_and_validate_against_the_schema() throws Exception {
        var validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(PERSON_SCHEMA);
        ResponseFormat format = ResponseFormat.builder().type(ResponseFormatType.JSON)
                .jsonSchema(JsonSchema.builder().name("Person").rootElement(JsonRawSchema.from(PERSON_SCHEMA)).build())
                .build();
        Set<String> distinct = new HashSet<>();
        for (long seed = 0; seed < 50; seed++) {
            ChatResponse response = model.chat(request("Once upon a time there was a girl.",
                    GptqChatRequestParameters.builder().responseFormat(format).seed(seed).build()));
            String text = response.aiMessage().text();
            JsonNode node = JSON.readTree(text);
            assertThat(validator.validate(node)).as("seed %d: %s", seed, text).isEmpty();
            assertThat(response.metadata().finishReason()).as(text).isEqualTo(FinishReason.STOP);
            distinct.add(text);
        }
        assertThat(distinct).as("temperature 1 samples, not one fixed answer").hasSizeGreaterThan(40);
    }

    @Test
    void json_mode_outputs_parse() throws Exception {
        // free-form JSON is bounded by the grammar limits: these keep every document inside the token budget
        GptqChatModel jsonModel = GptqChatModel.builder().engine(SharedEngine.ENGINE)
                .temperature(1.0).topP(1.0).topK(0).repetitionPenalty(1.0).maxOutputTokens(480)
                .grammarLimits(new GrammarLimits(12, 3, 2, 4)).build();
        Set<String> distinct = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            ChatResponse response = jsonModel.chat(request("Lily had a ball.",
                    GptqChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).seed(seed).build()));
            String text = response.aiMessage().text();
            JsonNode node = JSON.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(text);
            assertThat(node.isObject() || node.isArray()).as(text).isTrue();
            assertThat(response.metadata().finishReason()).as(text).isEqualTo(FinishReason.STOP);
            distinct.add(text);
        }
        assertThat(distinct).hasSizeGreaterThan(10);
    }

    @Test
    void without_a_response_format_the_same_model_writes_prose() {
        // the control: the tests above test the constraint, not a model that happens to write JSON
        ChatResponse response = model.chat(request("Lily had a ball.",
                GptqChatRequestParameters.builder().seed(1L).maxOutputTokens(30).build()));
        assertThatThrownBy(() -> JSON.readTree(response.aiMessage().text())).isInstanceOf(JsonProcessingException.class);
    }

    private static ChatRequest request(String prompt, GptqChatRequestParameters parameters) {
        return ChatRequest.builder().messages(UserMessage.from(prompt)).parameters(parameters).build();
    }
}
