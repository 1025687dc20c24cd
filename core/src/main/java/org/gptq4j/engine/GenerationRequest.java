package org.gptq4j.engine;

import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;

import java.util.Arrays;
import java.util.Objects;

/**
 * One generation: the prompt as token ids (chat templates are rendered by the caller, e.g. the LangChain4j
 * adapter) and how to sample. The model's end-of-sequence tokens stop the generation unless {@code ignoreEos}
 * (benchmarks); {@link SamplingParameters#stopTokenIds()} and {@link SamplingParameters#stopSequences()} always do.
 *
 * @param promptTokenIds the prompt, BOS included if the model wants one; a private copy, at least one id
 * @param parameters     sampling parameters, including {@code maxNewTokens}
 * @param ignoreEos      keep generating past the model's EOS tokens
 * @param constraint     restricts which tokens may come next (JSON, a JSON schema, tool-call arguments), or null;
 *                       the generation stops normally once it is complete. One instance per request.
 */
public record GenerationRequest(int[] promptTokenIds, SamplingParameters parameters, boolean ignoreEos,
                                LogitsConstraint constraint) {
    public GenerationRequest {
        Objects.requireNonNull(promptTokenIds, "promptTokenIds");
        Objects.requireNonNull(parameters, "parameters");
        if (promptTokenIds.length == 0) throw new IllegalArgumentException("promptTokenIds must hold at least one token id");
        promptTokenIds = promptTokenIds.clone();
    }

    /** An unconstrained request. */
    public GenerationRequest(int[] promptTokenIds, SamplingParameters parameters, boolean ignoreEos) {
        this(promptTokenIds, parameters, ignoreEos, null);
    }

    /** A request that stops at the model's EOS tokens. */
    public static GenerationRequest of(int[] promptTokenIds, SamplingParameters parameters) {
        return new GenerationRequest(promptTokenIds, parameters, false, null);
    }

    /** This request with its next tokens restricted by {@code constraint}. */
    public GenerationRequest withConstraint(LogitsConstraint constraint) {
        return new GenerationRequest(promptTokenIds, parameters, ignoreEos, constraint);
    }

    /** A copy of the prompt ids. */
    @Override
    public int[] promptTokenIds() {
        return promptTokenIds.clone();
    }

    int promptLength() {
        return promptTokenIds.length;
    }

    int[] promptView() {
        return promptTokenIds;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationRequest r && Arrays.equals(promptTokenIds, r.promptTokenIds)
                && parameters.equals(r.parameters) && ignoreEos == r.ignoreEos && constraint == r.constraint;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * Arrays.hashCode(promptTokenIds) + parameters.hashCode()) + Boolean.hashCode(ignoreEos))
                + System.identityHashCode(constraint);
    }

    @Override
    public String toString() {
        return "GenerationRequest[" + promptTokenIds.length + " prompt tokens, " + parameters + ", ignoreEos=" + ignoreEos
                + (constraint != null ? ", constrained by " + constraint.getClass().getSimpleName() : "") + "]";
    }
}
