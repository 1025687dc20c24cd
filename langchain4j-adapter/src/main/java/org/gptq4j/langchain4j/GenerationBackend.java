package org.gptq4j.langchain4j;

import java.nio.file.Path;
import org.gptq4j.sampling.FinishReason;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * The slice of the engine this adapter uses. {@link EngineBackend} implements it over the real engine; tests
 * fake it. Keeping it this small makes following the engine's API a one-class change.
 */
interface GenerationBackend {

    /** The tokenizer of the loaded model. */
    Tokenizer tokenizer();

    /** The model folder (for its {@code tokenizer_config.json} chat template), or {@code null}. */
    Path modelFolder();

    /** The most tokens (prompt plus answer) one sequence may hold. */
    int contextLength();

    /**
     * Starts generating. Listener methods are called on the engine's thread, in order, one at a time; exactly
     * one of {@link Listener#onComplete} or {@link Listener#onError} ends the sequence, unless it is cancelled.
     */
    Generation submit(int[] promptTokenIds, SamplingParameters sampling, LogitsConstraint constraint, Listener listener);

    /** A running generation. */
    interface Generation {
        /** Stops the generation and frees its KV-cache blocks; idempotent. */
        void cancel();
    }

    /** Receives a generation's tokens. */
    interface Listener {
        /** A generated token and the text it completes (possibly empty). */
        void onToken(int tokenId, String textDelta);

        /** The generation ended normally (or was cancelled, with {@link FinishReason#CANCELLED}). */
        void onComplete(Outcome outcome);

        /** The generation failed. */
        void onError(Throwable error);
    }

    /**
     * How a generation ended.
     *
     * @param finishReason    why it ended
     * @param promptTokens    tokens in the prompt
     * @param generatedTokens tokens generated, the end-of-turn token included
     */
    record Outcome(FinishReason finishReason, int promptTokens, int generatedTokens) {}
}
