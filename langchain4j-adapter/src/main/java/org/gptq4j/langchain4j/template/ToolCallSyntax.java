package org.gptq4j.langchain4j.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.gptq4j.langchain4j.constraint.GrammarLimits;
import org.gptq4j.langchain4j.constraint.JsonGrammar;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Frame;
import org.gptq4j.langchain4j.constraint.JsonSchemas;
import org.gptq4j.langchain4j.constraint.SchemaNode;

/**
 * How tools are offered to the model and how it calls them, in the widespread Hermes style:
 * {@code <tool_call>{"name": "getWeather", "arguments": {"city": "Munich"}}</tool_call>}, one block per
 * call, results fed back inside {@code <tool_response>}. Built-in templates describe the tools in the system
 * turn with {@link #describe}; the grammar from {@link #grammar} makes every call well-formed and its
 * arguments valid against the tool's parameter schema.
 */
public final class ToolCallSyntax {
    public static final String OPEN = "<tool_call>";
    public static final String CLOSE = "</tool_call>";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolCallSyntax() {}

    /** The system-prompt text that offers {@code tools}. */
    public static String describe(List<ToolSpecification> tools) {
        StringBuilder sb = new StringBuilder("You can call tools. To call one, answer with ")
                .append(OPEN).append("{\"name\": <tool name>, \"arguments\": <arguments object>}").append(CLOSE)
                .append(". Tools:");
        for (ToolSpecification tool : tools) sb.append('\n').append(toJson(toolMap(tool)));
        return sb.toString();
    }

    /** The JSON-schema view of a tool: name, description, parameters. */
    public static Map<String, Object> toolMap(ToolSpecification tool) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", tool.name());
        if (tool.description() != null) map.put("description", tool.description());
        map.put("parameters", tool.parameters() == null
                ? Map.of("type", "object", "properties", Map.of())
                : JsonSchemaElementUtils.toMap(tool.parameters()));
        return map;
    }

    /** An assistant's tool call as the model writes it. */
    public static String render(ToolExecutionRequest call) {
        return OPEN + "{\"name\": " + toJson(call.name()) + ", \"arguments\": " + normalizeArguments(call.arguments())
                + "}" + CLOSE;
    }

    /** A tool's result as fed back to the model. */
    public static String renderResult(String toolName, String result) {
        return "<tool_response>" + toJson(Map.of("name", toolName == null ? "" : toolName, "content", result))
                + "</tool_response>";
    }

    /**
     * The grammar of an answer made of 1 to {@code maxCalls} tool calls of {@code tools}, each with
     * arguments valid against the tool's parameters.
     */
    public static List<Frame> grammar(List<ToolSpecification> tools, GrammarLimits limits, int maxCalls) {
        List<SchemaNode> calls = new ArrayList<>();
        for (ToolSpecification tool : tools) {
            Map<String, SchemaNode> properties = new LinkedHashMap<>();
            properties.put("name", new SchemaNode.EnumNode(List.of(toJson(tool.name()))));
            properties.put("arguments", tool.parameters() == null
                    ? new SchemaNode.ObjectNode(Map.of(), java.util.Set.of(), false)
                    : JsonSchemas.from(tool.parameters(), limits));
            calls.add(new SchemaNode.ObjectNode(properties, properties.keySet(), true));
        }
        SchemaNode call = calls.size() == 1 ? calls.getFirst() : new SchemaNode.AnyOfNode(calls);
        List<Frame> block = List.of(JsonGrammar.literal(OPEN), JsonGrammar.value(call), JsonGrammar.literal(CLOSE));
        List<Frame> frames = new ArrayList<>();
        frames.add(JsonGrammar.spaces(2));
        frames.addAll(block);
        List<Frame> more = new ArrayList<>();
        more.add(JsonGrammar.spaces(1));
        more.addAll(block);
        if (maxCalls > 1) frames.add(JsonGrammar.repeat(more, maxCalls - 1));
        return frames;
    }

    /**
     * The tool calls an answer holds.
     *
     * @param calls      the complete, well-formed calls, in order, each with a fresh id
     * @param incomplete whether something after them is not a complete call (e.g. a call cut off by the token
     *                   budget); it is dropped, never returned as text
     */
    public record ToolCalls(List<ToolExecutionRequest> calls, boolean incomplete) {
        public ToolCalls {
            calls = List.copyOf(calls);
        }
    }

    /**
     * The tool calls of an answer written as tool-call markup: one that starts with {@link #OPEN}, or is cut off
     * inside it (whitespace aside). Complete blocks are kept up to the first one that is not complete and valid;
     * that one and what follows are reported as {@link ToolCalls#incomplete()}. Empty if the answer is text.
     */
    public static Optional<ToolCalls> parse(String answer) {
        String rest = answer == null ? "" : answer.strip();
        if (rest.isEmpty() || !(rest.startsWith(OPEN) || OPEN.startsWith(rest))) return Optional.empty();
        List<ToolExecutionRequest> calls = new ArrayList<>();
        while (!rest.isEmpty()) {
            Optional<ToolExecutionRequest> call = rest.startsWith(OPEN) ? call(rest) : Optional.empty();
            if (call.isEmpty()) return Optional.of(new ToolCalls(calls, true));
            calls.add(call.get());
            rest = rest.substring(rest.indexOf(CLOSE) + CLOSE.length()).strip();
        }
        return Optional.of(new ToolCalls(calls, false));
    }

    /** The call of the block at the start of {@code text}, if it is complete and well-formed. */
    private static Optional<ToolExecutionRequest> call(String text) {
        int end = text.indexOf(CLOSE);
        if (end < 0) return Optional.empty();
        try {
            JsonNode node = JSON.readTree(text.substring(OPEN.length(), end));
            if (node == null || !node.path("name").isTextual()) return Optional.empty();
            JsonNode arguments = node.has("arguments") ? node.get("arguments") : JSON.createObjectNode();
            if (!arguments.isObject()) return Optional.empty();
            return Optional.of(ToolExecutionRequest.builder()
                    .id("call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24))
                    .name(node.get("name").asText())
                    .arguments(JSON.writeValueAsString(arguments))
                    .build());
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** Tool-call arguments as a JSON object value (LangChain4j carries them as a string). */
    public static Object argumentsAsObject(String arguments) {
        try {
            JsonNode node = arguments == null || arguments.isBlank() ? JSON.createObjectNode() : JSON.readTree(arguments);
            return JSON.convertValue(node, Object.class);
        } catch (JsonProcessingException e) {
            return arguments;
        }
    }

    private static String normalizeArguments(String arguments) {
        try {
            JsonNode node = arguments == null || arguments.isBlank() ? JSON.createObjectNode() : JSON.readTree(arguments);
            return JSON.writeValueAsString(node instanceof ObjectNode ? node : JSON.createObjectNode());
        } catch (JsonProcessingException e) {
            return "{}";
        }
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
