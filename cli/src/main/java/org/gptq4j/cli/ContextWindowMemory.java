package org.gptq4j.cli;

import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.TokenWindowChatMemory;
import dev.langchain4j.model.TokenCountEstimator;
import java.util.function.IntSupplier;
import org.gptq4j.engine.EngineLimits;

/**
 * The chat's history: a LangChain4j {@link TokenWindowChatMemory}, counted with the model's own tokenizer and chat
 * template, that holds at most what fits in the model's context beside the answer budget ({@code --max-new-tokens},
 * read again at every turn, so {@code /max-new-tokens} resizes it). A long chat drops its oldest turns instead of
 * outgrowing the context; the system prompt is always kept.
 */
final class ContextWindowMemory {
    private ContextWindowMemory() {}

    /**
     * @param estimator    counts a prompt as the model renders it ({@code model.tokenCountEstimator()})
     * @param limits       the engine's limits: its context ({@code maxTotalTokens}) and longest prompt
     * @param answerBudget the most tokens the next answer may take
     */
    static ChatMemory create(TokenCountEstimator estimator, EngineLimits limits, IntSupplier answerBudget) {
        return TokenWindowChatMemory.builder()
                .dynamicMaxTokens(id -> maxPromptTokens(limits, answerBudget.getAsInt()), estimator)
                .alwaysKeepSystemMessageFirst(true)
                .build();
    }

    /** The room for the prompt: the context less the answer budget, within the engine's input limit; at least 1. */
    static int maxPromptTokens(EngineLimits limits, int answerBudget) {
        return Math.max(1, Math.min(limits.maxInputLength(), limits.maxTotalTokens() - answerBudget));
    }
}
