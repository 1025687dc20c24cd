package org.gptq4j.spring.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleFunction;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.gptq4j.sampling.SamplingParameters;

/**
 * Reads an OpenAI {@code /v1/chat/completions} body into a LangChain4j {@link ChatRequest}; everything else (chat
 * template, tool-call syntax, JSON grammar, sampling ranges) is the chat model's business. Every field is either
 * honoured ({@link #HONOURED}), accepted as OpenAI does ({@code user}: an end-user id, for the caller's own
 * records) or refused with a 400 naming it, never silently ignored; a field set to {@code null} is absent, as for
 * OpenAI.
 */
final class OpenAiRequestMapper {
    private final ObjectMapper json;
    private final Integer maxTokens;

    OpenAiRequestMapper(ObjectMapper json) {
        this(json, null);
    }

    /**
     * @param maxTokens the server's cap on {@code max_tokens} / {@code max_completion_tokens}: a request asking for
     *                  more is refused naming the field; {@code null}: no cap here
     */
    OpenAiRequestMapper(ObjectMapper json, Integer maxTokens) {
        this.json = json;
        this.maxTokens = maxTokens;
    }

    /** The request fields this mapper reads; any other non-null field is refused. */
    static final java.util.Set<String> HONOURED = java.util.Set.of("model", "messages", "n", "temperature", "top_p",
            "top_k", "min_p", "repetition_penalty", "frequency_penalty", "presence_penalty", "seed", "max_tokens",
            "max_completion_tokens", "stop", "tools", "tool_choice", "parallel_tool_calls", "response_format",
            "logprobs", "top_logprobs", "logit_bias", "stream", "stream_options", "user");

    /** The parsed request and the transport options around it. */
    record Parsed(ChatRequest request, String model, boolean stream, boolean includeUsage) {}

    Parsed read(JsonNode body) {
        return read(body, null);
    }

    /**
     * Every number must fit its field exactly: a value that is not integral where an integer is expected, is out of
     * the field's range (checked by {@link SamplingParameters}, the one place of the ranges) or does not fit the
     * Java type is refused with a 400 naming the field, never wrapped ({@code max_tokens} 4294967297 used to become
     * 1) or rounded.
     *
     * @param maxTokensWhenUnset the answer's token limit when the request sets none; {@code null}: the chat model's
     */
    Parsed read(JsonNode body, Integer maxTokensWhenUnset) {
        if (body == null || !body.isObject()) throw OpenAiException.invalid(null, "the body must be a JSON object");
        for (String field : (Iterable<String>) body::fieldNames) {
            if (!HONOURED.contains(field) && !body.get(field).isNull()) {
                throw OpenAiException.invalid(field, "'" + OpenAiErrors.brief(field) + "' is not supported by this"
                        + " server");
            }
        }
        integer(body, "n", 1, 1); // only one choice is supported
        JsonNode user = body.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            throw OpenAiException.invalid("user", "user must be a string");
        }
        GptqChatRequestParameters.Builder p = GptqChatRequestParameters.builder();
        Double temperature = real(body, "temperature", "temperature", v -> SamplingParameters.builder().temperature(v));
        if (temperature != null) p.temperature(temperature);
        Double topP = real(body, "top_p", "topP", v -> SamplingParameters.builder().topP(v));
        if (topP != null) p.topP(topP);
        Long topK = integer(body, "top_k", 0, Integer.MAX_VALUE);
        if (topK != null) p.topK(topK.intValue());
        Double minP = real(body, "min_p", "minP", v -> SamplingParameters.builder().minP(v));
        if (minP != null) p.minP(minP);
        Double repetition = real(body, "repetition_penalty", "repetitionPenalty",
                v -> SamplingParameters.builder().repetitionPenalty(v));
        if (repetition != null) p.repetitionPenalty(repetition);
        Double frequency = real(body, "frequency_penalty", "frequencyPenalty",
                v -> SamplingParameters.builder().frequencyPenalty(v));
        if (frequency != null) p.frequencyPenalty(frequency);
        Double presence = real(body, "presence_penalty", "presencePenalty",
                v -> SamplingParameters.builder().presencePenalty(v));
        if (presence != null) p.presencePenalty(presence);
        Long seed = integer(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        if (seed != null) p.seed(seed);
        Integer legacy = maxTokens(body, "max_tokens");
        Integer limit = maxTokens(body, "max_completion_tokens"); // the newer name wins, as at OpenAI
        if (limit == null) limit = legacy;
        p.maxOutputTokens(limit != null ? limit : maxTokensWhenUnset);
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull()) {
            List<String> stops = strings(stop, "stop");
            inRange("stop", "stopSequences", () -> SamplingParameters.builder().stopSequences(stops).build());
            p.stopSequences(stops);
        }
        List<ToolSpecification> tools = tools(body.get("tools"));
        if (!tools.isEmpty()) p.toolSpecifications(tools);
        ToolChoice choice = toolChoice(body.get("tool_choice"), tools);
        if (choice != null) p.toolChoice(choice);
        if (body.hasNonNull("parallel_tool_calls")) p.parallelToolCalls(bool(body, "parallel_tool_calls"));
        ResponseFormat format = responseFormat(body.get("response_format"));
        if (format != null) p.responseFormat(format);
        boolean logprobs = bool(body, "logprobs");
        Long top = integer(body, "top_logprobs", 0, MAX_TOP_LOGPROBS);
        if (top != null && top > 0 && !logprobs) {
            throw OpenAiException.invalid("top_logprobs", "top_logprobs needs logprobs set to true");
        }
        if (logprobs) p.logprobs(true).topLogprobs(top == null ? 0 : top.intValue());
        Map<Integer, Double> bias = logitBias(body.get("logit_bias"));
        if (!bias.isEmpty()) p.logitBias(bias);
        ChatRequest request = ChatRequest.builder().messages(messages(body.get("messages"))).parameters(p.build()).build();
        String model = body.path("model").isTextual() ? body.get("model").asText() : null;
        boolean stream = bool(body, "stream");
        JsonNode options = body.path("stream_options");
        boolean usage = options.isObject() && bool(options, "include_usage");
        return new Parsed(request, model, stream, usage);
    }

    /** At most this many alternatives per token, as at OpenAI. */
    static final int MAX_TOP_LOGPROBS = 20;

    /** {@code logit_bias}: token ids (as the keys of an object) to numbers in [-100, 100]. */
    private static Map<Integer, Double> logitBias(JsonNode node) {
        if (node == null || node.isNull()) return Map.of();
        if (!node.isObject()) throw OpenAiException.invalid("logit_bias", "logit_bias must be an object of token ids to numbers");
        Map<Integer, Double> bias = new HashMap<>();
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) node::fields) {
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw OpenAiException.invalid("logit_bias", "logit_bias keys must be token ids, but was '"
                        + OpenAiErrors.brief(e.getKey()) + "'");
            }
            if (!e.getValue().isNumber() || !(Math.abs(e.getValue().doubleValue()) <= 100)) {
                throw OpenAiException.invalid("logit_bias", "logit_bias values must be numbers in [-100, 100], but token "
                        + id + " has " + brief(e.getValue()));
            }
            bias.put(id, e.getValue().doubleValue());
        }
        return bias;
    }

    /** {@code max_tokens} or {@code max_completion_tokens}: at least 1, at most the server's cap. */
    private Integer maxTokens(JsonNode body, String field) {
        Long value = integer(body, field, 1, Integer.MAX_VALUE);
        if (value == null) return null;
        if (maxTokens != null && value > maxTokens) {
            throw OpenAiException.invalid(field, field + " must be at most " + maxTokens + " on this server, got "
                    + value);
        }
        return value.intValue();
    }

    /** An integral JSON number in [min, max] ({@code 5.0} is 5; {@code 5.5} and out-of-range values are refused). */
    private static Long integer(JsonNode body, String field, long min, long max) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        BigDecimal value = exact(v, field);
        boolean integral = value.signum() == 0 || value.stripTrailingZeros().scale() <= 0;
        if (!integral) throw OpenAiException.invalid(field, field + " must be an integer, but was " + brief(v));
        if (value.compareTo(BigDecimal.valueOf(min)) < 0 || value.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw OpenAiException.invalid(field, field + " must be " + range(min, max) + ", but was " + brief(v));
        }
        return value.longValueExact();
    }

    /**
     * A finite JSON number that {@code check} (a {@link SamplingParameters} builder holding only it) accepts; the
     * range is refused in SamplingParameters' words, under the OpenAI field name.
     */
    private static Double real(JsonNode body, String field, String samplingName,
                               DoubleFunction<SamplingParameters.Builder> check) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return null;
        double value = exact(v, field).doubleValue();
        if (!Double.isFinite(value)) throw OpenAiException.invalid(field, field + " must be finite, but was " + brief(v));
        inRange(field, samplingName, () -> check.apply(value).build());
        return value;
    }

    /** Runs {@code check}, a {@link SamplingParameters} build; its refusal names the OpenAI field, not the Java one. */
    private static void inRange(String field, String samplingName, Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            String message = String.valueOf(e.getMessage());
            if (message.startsWith(samplingName + " ")) message = field + message.substring(samplingName.length());
            throw OpenAiException.invalid(field, message);
        }
    }

    /** The number as written (Jackson reads 1e400 as an infinite double: refused as not finite). */
    private static BigDecimal exact(JsonNode v, String field) {
        if (!v.isNumber()) throw OpenAiException.invalid(field, field + " must be a number, but was " + brief(v));
        if ((v.isDouble() || v.isFloat()) && !Double.isFinite(v.doubleValue())) {
            throw OpenAiException.invalid(field, field + " must be finite, but was " + brief(v));
        }
        return v.decimalValue();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw OpenAiException.invalid(field, field + " must be true or false, but was " + brief(v));
        return v.booleanValue();
    }

    private static String range(long min, long max) {
        if (min == max) return String.valueOf(min);
        if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) return "an integer from " + min + " to " + max;
        return "an integer in [" + min + ", " + max + "]";
    }

    private static String brief(JsonNode v) {
        return OpenAiErrors.brief(v.toString());
    }

    private static List<String> strings(JsonNode node, String field) {
        if (node.isTextual()) return List.of(node.asText());
        if (!node.isArray()) throw OpenAiException.invalid(field, field + " must be a string or an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode s : node) {
            if (!s.isTextual()) throw OpenAiException.invalid(field, field + " must hold strings only");
            out.add(s.asText());
        }
        return out;
    }

    private List<ChatMessage> messages(JsonNode messages) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw OpenAiException.invalid("messages", "messages must be a non-empty array");
        }
        List<ChatMessage> out = new ArrayList<>();
        Map<String, String> toolNames = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText("");
            String param = "messages[" + i + "]";
            switch (role) {
                case "system", "developer" -> out.add(SystemMessage.from(text(m.get("content"), param)));
                case "user" -> out.add(UserMessage.from(text(m.get("content"), param)));
                case "assistant" -> out.add(assistant(m, param, toolNames));
                case "tool" -> {
                    String id = m.path("tool_call_id").asText(null);
                    if (id == null) throw OpenAiException.invalid(param + ".tool_call_id", "a tool message needs tool_call_id");
                    out.add(ToolExecutionResultMessage.from(id, toolNames.getOrDefault(id, m.path("name").asText(null)),
                            text(m.get("content"), param)));
                }
                default -> throw OpenAiException.invalid(param + ".role", "unsupported role '"
                        + OpenAiErrors.brief(role) + "': system, developer, user, assistant or tool");
            }
        }
        return out;
    }

    private AiMessage assistant(JsonNode m, String param, Map<String, String> toolNames) {
        JsonNode content = m.get("content");
        String text = content == null || content.isNull() ? null : text(content, param);
        List<ToolExecutionRequest> calls = new ArrayList<>();
        for (JsonNode call : m.path("tool_calls")) {
            JsonNode function = call.path("function");
            String id = call.path("id").asText(null);
            String name = function.path("name").asText(null);
            if (id != null && name != null) toolNames.put(id, name);
            calls.add(ToolExecutionRequest.builder().id(id).name(name)
                    .arguments(function.path("arguments").asText("{}")).build());
        }
        if (calls.isEmpty()) return AiMessage.from(text == null ? "" : text);
        return text == null || text.isEmpty() ? AiMessage.from(calls) : AiMessage.from(text, calls);
    }

    /** A message's text: a string, or an array of {@code text} parts (other part types are not supported). */
    private static String text(JsonNode content, String param) {
        if (content == null || content.isNull()) return "";
        if (content.isTextual()) return content.asText();
        if (!content.isArray()) throw OpenAiException.invalid(param + ".content", "content must be a string or an array of parts");
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            String type = part.path("type").asText("");
            if (!type.equals("text")) {
                throw OpenAiException.invalid(param + ".content", "content part type '" + OpenAiErrors.brief(type)
                        + "' is not supported: this model reads text only");
            }
            text.append(part.path("text").asText(""));
        }
        return text.toString();
    }

    private List<ToolSpecification> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) return List.of();
        if (!tools.isArray()) throw OpenAiException.invalid("tools", "tools must be an array");
        List<ToolSpecification> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            if (!"function".equals(tool.path("type").asText())) {
                throw OpenAiException.invalid("tools[" + i + "].type", "only function tools are supported");
            }
            JsonNode function = tool.path("function");
            String name = function.path("name").asText(null);
            if (name == null) throw OpenAiException.invalid("tools[" + i + "].function.name", "a function needs a name");
            ToolSpecification.Builder spec = ToolSpecification.builder().name(name)
                    .description(function.path("description").asText(null));
            JsonNode parameters = function.get("parameters");
            if (parameters != null && parameters.isObject() && parameters.path("properties").size() > 0) {
                spec.parameters(objectSchema(parameters, "tools[" + i + "].function.parameters"));
            }
            out.add(spec.build());
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private JsonObjectSchema objectSchema(JsonNode schema, String param) {
        JsonSchemaElement element;
        try {
            element = JsonSchemaElementJsonUtils.fromMap(json.convertValue(schema, Map.class));
        } catch (RuntimeException e) {
            throw OpenAiException.invalid(param, "unsupported JSON schema: " + e.getMessage());
        }
        if (!(element instanceof JsonObjectSchema object)) {
            throw OpenAiException.invalid(param, "function parameters must be an object schema");
        }
        return object;
    }

    private static ToolChoice toolChoice(JsonNode choice, List<ToolSpecification> tools) {
        if (choice == null || choice.isNull()) return null;
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "auto" -> ToolChoice.AUTO;
                case "required" -> ToolChoice.REQUIRED;
                case "none" -> ToolChoice.NONE;
                default -> throw OpenAiException.invalid("tool_choice", "tool_choice must be auto, required or none");
            };
        }
        String name = choice.path("function").path("name").asText(null);
        if (tools.size() == 1 && tools.getFirst().name().equals(name)) return ToolChoice.REQUIRED;
        throw OpenAiException.invalid("tool_choice", "naming a function in tool_choice is supported only when it is"
                + " the one tool offered; use \"required\"");
    }

    private ResponseFormat responseFormat(JsonNode format) {
        if (format == null || format.isNull()) return null;
        return switch (format.path("type").asText("")) {
            case "text" -> ResponseFormat.TEXT;
            case "json_object" -> ResponseFormat.JSON;
            case "json_schema" -> {
                JsonNode spec = format.path("json_schema");
                JsonNode schema = spec.get("schema");
                if (schema == null || !schema.isObject()) {
                    throw OpenAiException.invalid("response_format.json_schema.schema", "a JSON schema object is required");
                }
                yield ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder()
                        .name(spec.path("name").asText("response"))
                        .rootElement(JsonRawSchema.from(schema.toString())).build()).build();
            }
            default -> throw OpenAiException.invalid("response_format.type",
                    "response_format.type must be text, json_object or json_schema");
        };
    }
}
