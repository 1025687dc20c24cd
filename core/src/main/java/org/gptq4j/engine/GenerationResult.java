package org.gptq4j.engine;

import org.gptq4j.sampling.FinishReason;

/**
 * A finished (or cancelled) generation.
 *
 * @param tokenIds          every generated token, a stop token included when one ended it
 * @param text              the generated text: stop tokens' text and stop sequences are not part of it
 * @param finishReason      why it ended ({@link FinishReason#STOP}, {@code STOP_SEQUENCE}, {@code LENGTH} or
 *                          {@code CANCELLED}; failures arrive as exceptions instead)
 * @param stopSequence      the stop sequence that ended it, or null
 * @param promptTokenCount  prompt tokens
 * @param cachedPromptTokenCount prompt tokens whose keys and values came from the prefix cache
 * @param preemptions       times it was paused for lack of KV blocks and recomputed
 * @param timings           where its time went
 */
public record GenerationResult(int[] tokenIds, String text, FinishReason finishReason, String stopSequence,
                               int promptTokenCount, int cachedPromptTokenCount, int preemptions, GenerationTimings timings) {
    public GenerationResult {
        tokenIds = tokenIds.clone();
    }

    /** A copy of the generated ids. */
    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    public int generatedTokenCount() {
        return tokenIds.length;
    }
}
