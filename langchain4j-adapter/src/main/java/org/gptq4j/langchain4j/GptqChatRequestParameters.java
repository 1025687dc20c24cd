package org.gptq4j.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Map;
import java.util.Objects;

/**
 * {@link ChatRequestParameters} plus the sampling settings gptq4j has beyond LangChain4j's common ones:
 * min-p, the repetition penalty (transformers' CTRL penalty), a seed for reproducible sampling, a logit bias,
 * token log-probabilities and whether an answer may hold several tool calls (OpenAI's {@code logit_bias},
 * {@code logprobs}/{@code top_logprobs} and {@code parallel_tool_calls}).
 * Use it for a model's {@code defaultRequestParameters} or for one request.
 */
public class GptqChatRequestParameters extends DefaultChatRequestParameters {

    public static final GptqChatRequestParameters EMPTY = GptqChatRequestParameters.builder().build();

    private final Double minP;
    private final Double repetitionPenalty;
    private final Long seed;
    private final Map<Integer, Double> logitBias;
    private final Boolean logprobs;
    private final Integer topLogprobs;
    private final Boolean parallelToolCalls;

    protected GptqChatRequestParameters(Builder builder) {
        super(builder);
        this.minP = builder.minP;
        this.repetitionPenalty = builder.repetitionPenalty;
        this.seed = builder.seed;
        this.logitBias = builder.logitBias == null ? null : Map.copyOf(builder.logitBias);
        this.logprobs = builder.logprobs;
        this.topLogprobs = builder.topLogprobs;
        this.parallelToolCalls = builder.parallelToolCalls;
    }

    /**
     * Token id to a value in [-100, 100] added to its logit before sampling (-100 all but bans a token, 100 all but
     * forces it); {@code null}: not set.
     */
    public Map<Integer, Double> logitBias() {
        return logitBias;
    }

    /** Whether the response reports each token's log-probability ({@link GptqChatResponseMetadata#logprobs()}). */
    public Boolean logprobs() {
        return logprobs;
    }

    /** How many most likely alternatives to report per token, 0 to 20 (needs {@link #logprobs()}). */
    public Integer topLogprobs() {
        return topLogprobs;
    }

    /** Whether this answer may hold several tool calls; {@code null}: the model's setting. */
    public Boolean parallelToolCalls() {
        return parallelToolCalls;
    }

    /** Drop tokens less likely than {@code minP} times the most likely one; {@code null}: not set. */
    public Double minP() {
        return minP;
    }

    /** transformers' repetition penalty ({@code > 1} discourages repeats); {@code null}: not set. */
    public Double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** Seeds sampling for reproducible answers; {@code null}: random. */
    public Long seed() {
        return seed;
    }

    @Override
    public GptqChatRequestParameters overrideWith(ChatRequestParameters that) {
        return GptqChatRequestParameters.builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public GptqChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return GptqChatRequestParameters.builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        if (o == null || getClass() != o.getClass() || !super.equals(o)) return false;
        GptqChatRequestParameters that = (GptqChatRequestParameters) o;
        return Objects.equals(minP, that.minP) && Objects.equals(repetitionPenalty, that.repetitionPenalty)
                && Objects.equals(seed, that.seed) && Objects.equals(logitBias, that.logitBias)
                && Objects.equals(logprobs, that.logprobs) && Objects.equals(topLogprobs, that.topLogprobs)
                && Objects.equals(parallelToolCalls, that.parallelToolCalls);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), minP, repetitionPenalty, seed, logitBias, logprobs, topLogprobs,
                parallelToolCalls);
    }

    @Override
    public String toString() {
        return "GptqChatRequestParameters{modelName=" + modelName() + ", temperature=" + temperature()
                + ", topP=" + topP() + ", topK=" + topK() + ", frequencyPenalty=" + frequencyPenalty()
                + ", presencePenalty=" + presencePenalty() + ", maxOutputTokens=" + maxOutputTokens()
                + ", stopSequences=" + stopSequences() + ", toolSpecifications=" + toolSpecifications()
                + ", toolChoice=" + toolChoice() + ", responseFormat=" + responseFormat() + ", minP=" + minP
                + ", repetitionPenalty=" + repetitionPenalty + ", seed=" + seed + ", logitBias=" + logitBias
                + ", logprobs=" + logprobs + ", topLogprobs=" + topLogprobs + ", parallelToolCalls=" + parallelToolCalls
                + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link GptqChatRequestParameters}. */
    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Double minP;
        private Double repetitionPenalty;
        private Long seed;
        private Map<Integer, Double> logitBias;
        private Boolean logprobs;
        private Integer topLogprobs;
        private Boolean parallelToolCalls;

        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof GptqChatRequestParameters gptq) {
                minP(getOrDefault(gptq.minP, minP));
                repetitionPenalty(getOrDefault(gptq.repetitionPenalty, repetitionPenalty));
                seed(getOrDefault(gptq.seed, seed));
                logitBias(getOrDefault(gptq.logitBias, logitBias));
                logprobs(getOrDefault(gptq.logprobs, logprobs));
                topLogprobs(getOrDefault(gptq.topLogprobs, topLogprobs));
                parallelToolCalls(getOrDefault(gptq.parallelToolCalls, parallelToolCalls));
            }
            return this;
        }

        public Builder minP(Double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repetitionPenalty(Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder logitBias(Map<Integer, Double> logitBias) {
            this.logitBias = logitBias;
            return this;
        }

        public Builder logprobs(Boolean logprobs) {
            this.logprobs = logprobs;
            return this;
        }

        public Builder topLogprobs(Integer topLogprobs) {
            this.topLogprobs = topLogprobs;
            return this;
        }

        public Builder parallelToolCalls(Boolean parallelToolCalls) {
            this.parallelToolCalls = parallelToolCalls;
            return this;
        }

        @Override
        public GptqChatRequestParameters build() {
            return new GptqChatRequestParameters(this);
        }
    }
}
