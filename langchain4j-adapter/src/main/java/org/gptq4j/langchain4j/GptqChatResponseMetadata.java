package org.gptq4j.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import java.util.List;
import java.util.Objects;

/** {@link ChatResponseMetadata} plus the answer's token log-probabilities, when the request asked for them. */
public class GptqChatResponseMetadata extends ChatResponseMetadata {
    private final List<TokenLogprob> logprobs;

    protected GptqChatResponseMetadata(Builder builder) {
        super(builder);
        this.logprobs = builder.logprobs == null ? null : List.copyOf(builder.logprobs);
    }

    /**
     * One entry per generated token (the end-of-turn token excluded), in order; {@code null} unless the request set
     * {@link GptqChatRequestParameters#logprobs()}.
     */
    public List<TokenLogprob> logprobs() {
        return logprobs;
    }

    @Override
    public Builder toBuilder() {
        Builder builder = new Builder().logprobs(logprobs);
        toBuilder(builder);
        return builder;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GptqChatResponseMetadata that && super.equals(o) && Objects.equals(logprobs, that.logprobs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), logprobs);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link GptqChatResponseMetadata}. */
    public static class Builder extends ChatResponseMetadata.Builder<Builder> {
        private List<TokenLogprob> logprobs;

        public Builder logprobs(List<TokenLogprob> logprobs) {
            this.logprobs = logprobs;
            return this;
        }

        @Override
        public GptqChatResponseMetadata build() {
            return new GptqChatResponseMetadata(this);
        }
    }
}
