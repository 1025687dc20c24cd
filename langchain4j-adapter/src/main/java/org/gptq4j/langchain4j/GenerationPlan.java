package org.gptq4j.langchain4j;

import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;

/**
 * A chat request made ready for the engine.
 *
 * @param promptTokenIds the rendered conversation
 * @param sampling       sampling settings, stop sequences and end-of-turn tokens included
 * @param constraint     the grammar the answer is held to, or {@code null}
 * @param toolMode       whether the answer may be tool calls
 * @param modelName      the model name to report
 * @param logits         the request's logit bias and log-probability record (also inside {@code constraint}), or
 *                       {@code null} when it has neither
 */
record GenerationPlan(int[] promptTokenIds, SamplingParameters sampling, LogitsConstraint constraint,
                      ToolMode toolMode, String modelName, RequestLogits logits) {

    /** The engine request this plan submits. */
    GenerationRequest request() {
        return GenerationRequest.of(promptTokenIds, sampling).withConstraint(constraint);
    }
}
