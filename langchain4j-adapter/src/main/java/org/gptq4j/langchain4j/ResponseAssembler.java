package org.gptq4j.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.langchain4j.template.ToolCallSyntax;

/** Builds the {@link ChatResponse} of a finished generation: message, tool calls, usage, finish reason. */
final class ResponseAssembler {
    private ResponseAssembler() {}

    /** The tool calls of {@code text}, if the plan allows them and the text is tool-call markup. */
    static Optional<ToolCallSyntax.ToolCalls> toolCalls(GenerationPlan plan, String text) {
        if (plan.toolMode() == ToolMode.NONE) return Optional.empty();
        return ToolCallSyntax.parse(text);
    }

    /** The calls to report: none when the answer is text. */
    static List<ToolExecutionRequest> calls(Optional<ToolCallSyntax.ToolCalls> toolCalls) {
        return toolCalls.map(ToolCallSyntax.ToolCalls::calls).orElse(List.of());
    }

    /**
     * The response. An answer in tool-call markup never comes back as text: its complete calls are the message (no
     * text when there are none), and the finish reason is {@code LENGTH} when the token budget cut a call off.
     */
    static ChatResponse response(GenerationPlan plan, String text, Optional<ToolCallSyntax.ToolCalls> toolCalls,
                                 GenerationResult result) {
        List<ToolExecutionRequest> calls = calls(toolCalls);
        boolean cut = toolCalls.isPresent() && toolCalls.get().incomplete()
                && result.finishReason() == org.gptq4j.sampling.FinishReason.LENGTH;
        AiMessage message = toolCalls.isEmpty() ? AiMessage.from(text)
                : calls.isEmpty() ? AiMessage.from("") : AiMessage.from(calls);
        FinishReason finishReason = cut ? FinishReason.LENGTH
                : calls.isEmpty() ? finishReason(result.finishReason()) : FinishReason.TOOL_EXECUTION;
        return ChatResponse.builder()
                .aiMessage(message)
                .metadata(GptqChatResponseMetadata.builder()
                        .logprobs(plan.logits() == null ? null : plan.logits().logprobs())
                        .id("gptq-" + UUID.randomUUID())
                        .modelName(plan.modelName())
                        .tokenUsage(new TokenUsage(result.promptTokenCount(), result.generatedTokenCount()))
                        .finishReason(finishReason)
                        .build())
                .build();
    }

    /** The engine's finish reason in LangChain4j's terms: a stop sequence is a normal stop. */
    static FinishReason finishReason(org.gptq4j.sampling.FinishReason reason) {
        return switch (reason) {
            case STOP, STOP_SEQUENCE -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case CANCELLED, ERROR -> FinishReason.OTHER;
        };
    }
}
