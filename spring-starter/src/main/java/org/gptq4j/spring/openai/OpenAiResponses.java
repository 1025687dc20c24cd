package org.gptq4j.spring.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.gptq4j.langchain4j.GptqChatResponseMetadata;
import org.gptq4j.langchain4j.TokenLogprob;

/** Writes LangChain4j responses as OpenAI chat completion objects and stream chunks. */
final class OpenAiResponses {
    private final ObjectMapper json;

    OpenAiResponses(ObjectMapper json) {
        this.json = json;
    }

    /** {@code chat.completion}. */
    ObjectNode completion(String id, long created, String model, ChatResponse response) {
        ObjectNode root = header(id, "chat.completion", created, model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        AiMessage ai = response.aiMessage();
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (ai.hasToolExecutionRequests()) {
            message.put("content", ai.text());
            toolCalls(message, ai.toolExecutionRequests());
        } else {
            message.put("content", ai.text() == null ? "" : ai.text());
        }
        message.putNull("refusal"); // required (nullable) in the API: this server never refuses in words
        choice.set("logprobs", logprobs(response));
        choice.put("finish_reason", finishReason(response));
        usage(root, response.tokenUsage());
        return root;
    }

    /** {@code chat.completion.chunk} with one delta. */
    ObjectNode chunk(String id, long created, String model, ObjectNode delta, String finishReason) {
        ObjectNode root = header(id, "chat.completion.chunk", created, model);
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return root;
    }

    /**
     * The last chunk: tool calls (if any), the finish reason and, when asked for, the log-probabilities of the whole
     * answer (the earlier chunks carry {@code "logprobs": null}; concatenated, the chunks' entries are the answer's).
     */
    ObjectNode finalChunk(String id, long created, String model, ChatResponse response) {
        ObjectNode delta = json.createObjectNode();
        if (response.aiMessage().hasToolExecutionRequests()) toolCalls(delta, response.aiMessage().toolExecutionRequests());
        ObjectNode chunk = chunk(id, created, model, delta, finishReason(response));
        ((ObjectNode) chunk.get("choices").get(0)).set("logprobs", logprobs(response));
        return chunk;
    }

    /** {@code {"content": [...], "refusal": null}} of the answer's tokens, or JSON null when none were asked for. */
    private JsonNode logprobs(ChatResponse response) {
        if (!(response.metadata() instanceof GptqChatResponseMetadata gptq) || gptq.logprobs() == null) {
            return NullNode.getInstance();
        }
        ObjectNode logprobs = json.createObjectNode();
        ArrayNode content = logprobs.putArray("content");
        for (TokenLogprob entry : gptq.logprobs()) {
            ObjectNode node = logprob(content.addObject(), entry);
            ArrayNode top = node.putArray("top_logprobs");
            for (TokenLogprob alternative : entry.topLogprobs()) logprob(top.addObject(), alternative);
        }
        logprobs.putNull("refusal");
        return logprobs;
    }

    private static ObjectNode logprob(ObjectNode node, TokenLogprob entry) {
        node.put("token", entry.token()).put("logprob", entry.logprob());
        ArrayNode bytes = node.putArray("bytes");
        for (byte b : entry.token().getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
        return node;
    }

    /** The usage chunk of {@code stream_options.include_usage}: no choices. */
    ObjectNode usageChunk(String id, long created, String model, TokenUsage usage) {
        ObjectNode root = header(id, "chat.completion.chunk", created, model);
        root.putArray("choices");
        usage(root, usage);
        return root;
    }

    ObjectNode delta(String role, String content) {
        ObjectNode delta = json.createObjectNode();
        if (role != null) delta.put("role", role);
        delta.put("content", content);
        return delta;
    }

    /** {@code {"error": {...}}}. */
    ObjectNode error(OpenAiException e) {
        ObjectNode root = json.createObjectNode();
        root.putObject("error").put("message", e.getMessage()).put("type", e.type).put("param", e.param)
                .put("code", e.code);
        return root;
    }

    private ObjectNode header(String id, String object, long created, String model) {
        return json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model)
                .put("system_fingerprint", "gptq4j");
    }

    private static void toolCalls(ObjectNode message, List<ToolExecutionRequest> calls) {
        ArrayNode array = message.putArray("tool_calls");
        for (int i = 0; i < calls.size(); i++) {
            ToolExecutionRequest call = calls.get(i);
            ObjectNode node = array.addObject().put("index", i)
                    .put("id", call.id() != null ? call.id() : "call_" + i).put("type", "function");
            node.putObject("function").put("name", call.name()).put("arguments", call.arguments());
        }
    }

    private static void usage(ObjectNode root, TokenUsage usage) {
        if (usage == null) return;
        int prompt = usage.inputTokenCount() == null ? 0 : usage.inputTokenCount();
        int completion = usage.outputTokenCount() == null ? 0 : usage.outputTokenCount();
        root.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    private static String finishReason(ChatResponse response) {
        if (response.aiMessage().hasToolExecutionRequests()) return "tool_calls";
        FinishReason reason = response.finishReason();
        if (reason == null) return "stop";
        return switch (reason) {
            case LENGTH -> "length";
            case TOOL_EXECUTION -> "tool_calls";
            case CONTENT_FILTER -> "content_filter";
            default -> "stop";
        };
    }
}
