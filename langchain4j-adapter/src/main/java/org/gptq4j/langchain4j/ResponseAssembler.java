package org.gptq4j.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
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

    /** The tool calls of {@code text}, if the plan allows them and the text is made of them. */
    static Optional<List<ToolExecutionRequest>> toolCalls(GenerationPlan plan, String text) {
        if (plan.toolMode() == ToolMode.NONE) return Optional.empty();
        return ToolCallSyntax.parse(text).filter(calls -> !calls.isEmpty());
    }

    static ChatResponse response(GenerationPlan plan, List<ToolExecutionRequest> toolCalls, GenerationResult result) {
        AiMessage message = toolCalls.isEmpty() ? AiMessage.from(result.text()) : AiMessage.from(toolCalls);
        FinishReason finishReason = toolCalls.isEmpty() ? finishReason(result.finishReason()) : FinishReason.TOOL_EXECUTION;
        return ChatResponse.builder()
                .aiMessage(message)
                .metadata(ChatResponseMetadata.builder()
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
