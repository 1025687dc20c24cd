package org.gptq4j.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * {@link ChatRequestParameters} plus the sampling settings gptq4j has beyond LangChain4j's common ones:
 * min-p, the repetition penalty (transformers' CTRL penalty) and a seed for reproducible sampling.
 * Use it for a model's {@code defaultRequestParameters} or for one request.
 */
public class GptqChatRequestParameters extends DefaultChatRequestParameters {

    public static final GptqChatRequestParameters EMPTY = GptqChatRequestParameters.builder().build();

    private final Double minP;
    private final Double repetitionPenalty;
    private final Long seed;

    protected GptqChatRequestParameters(Builder builder) {
        super(builder);
        this.minP = builder.minP;
        this.repetitionPenalty = builder.repetitionPenalty;
        this.seed = builder.seed;
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
                && Objects.equals(seed, that.seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), minP, repetitionPenalty, seed);
    }

    @Override
    public String toString() {
        return "GptqChatRequestParameters{modelName=" + modelName() + ", temperature=" + temperature()
                + ", topP=" + topP() + ", topK=" + topK() + ", frequencyPenalty=" + frequencyPenalty()
                + ", presencePenalty=" + presencePenalty() + ", maxOutputTokens=" + maxOutputTokens()
                + ", stopSequences=" + stopSequences() + ", toolSpecifications=" + toolSpecifications()
                + ", toolChoice=" + toolChoice() + ", responseFormat=" + responseFormat() + ", minP=" + minP
                + ", repetitionPenalty=" + repetitionPenalty + ", seed=" + seed + '}';
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link GptqChatRequestParameters}. */
    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Double minP;
        private Double repetitionPenalty;
        private Long seed;

        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof GptqChatRequestParameters gptq) {
                minP(getOrDefault(gptq.minP, minP));
                repetitionPenalty(getOrDefault(gptq.repetitionPenalty, repetitionPenalty));
                seed(getOrDefault(gptq.seed, seed));
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

        @Override
        public GptqChatRequestParameters build() {
            return new GptqChatRequestParameters(this);
        }
    }
}
