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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.gptq4j.langchain4j.GptqChatRequestParameters;

/**
 * Reads an OpenAI {@code /v1/chat/completions} body into a LangChain4j {@link ChatRequest}; everything else (chat
 * template, tool-call syntax, JSON grammar, sampling ranges) is the chat model's business. Unsupported fields fail
 * with a 400 naming them, never silently.
 */
final class OpenAiRequestMapper {
    private final ObjectMapper json;

    OpenAiRequestMapper(ObjectMapper json) {
        this.json = json;
    }

    /** The parsed request and the transport options around it. */
    record Parsed(ChatRequest request, String model, boolean stream, boolean includeUsage) {}

    Parsed read(JsonNode body) {
        if (body == null || !body.isObject()) throw OpenAiException.invalid(null, "the body must be a JSON object");
        int n = body.path("n").asInt(1);
        if (n != 1) throw OpenAiException.invalid("n", "only n=1 is supported");
        GptqChatRequestParameters.Builder p = GptqChatRequestParameters.builder();
        number(body, "temperature", v -> p.temperature(v.doubleValue()));
        number(body, "top_p", v -> p.topP(v.doubleValue()));
        number(body, "top_k", v -> p.topK(v.intValue()));
        number(body, "min_p", v -> p.minP(v.doubleValue()));
        number(body, "repetition_penalty", v -> p.repetitionPenalty(v.doubleValue()));
        number(body, "frequency_penalty", v -> p.frequencyPenalty(v.doubleValue()));
        number(body, "presence_penalty", v -> p.presencePenalty(v.doubleValue()));
        number(body, "seed", v -> p.seed(v.longValue()));
        number(body, "max_tokens", v -> p.maxOutputTokens(v.intValue()));
        number(body, "max_completion_tokens", v -> p.maxOutputTokens(v.intValue()));
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull()) p.stopSequences(strings(stop, "stop"));
        List<ToolSpecification> tools = tools(body.get("tools"));
        if (!tools.isEmpty()) p.toolSpecifications(tools);
        ToolChoice choice = toolChoice(body.get("tool_choice"), tools);
        if (choice != null) p.toolChoice(choice);
        ResponseFormat format = responseFormat(body.get("response_format"));
        if (format != null) p.responseFormat(format);
        ChatRequest request = ChatRequest.builder().messages(messages(body.get("messages"))).parameters(p.build()).build();
        String model = body.path("model").isTextual() ? body.get("model").asText() : null;
        boolean stream = body.path("stream").asBoolean(false);
        boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
        return new Parsed(request, model, stream, usage);
    }

    private static void number(JsonNode body, String field, Consumer<Number> set) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) return;
        if (!v.isNumber()) throw OpenAiException.invalid(field, field + " must be a number, got " + v);
        set.accept(v.numberValue());
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
                default -> throw OpenAiException.invalid(param + ".role", "unsupported role '" + role
                        + "': system, developer, user, assistant or tool");
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
                throw OpenAiException.invalid(param + ".content", "content part type '" + type
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
