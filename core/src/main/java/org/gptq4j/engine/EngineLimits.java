package org.gptq4j.engine;

import org.gptq4j.model.LlamaConfig;

import java.time.Duration;

/**
 * What the engine accepts and how much it does at once, with the names Hugging Face TGI gives these limits.
 * A request that can never fit is refused at once with a {@link RequestRejectedException} naming the limit;
 * one that can fit later waits in a bounded queue.
 *
 * @param maxInputLength         most prompt tokens of one request ({@code max-input-length}); 0 means
 *                               {@code maxTotalTokens - 1}
 * @param maxTotalTokens         most prompt plus new tokens of one request ({@code max-total-tokens}); 0 means the
 *                               model's {@code max_position_embeddings}; never more than that
 * @param maxBatchPrefillTokens  most prompt tokens computed in one step ({@code max-batch-prefill-tokens}); longer
 *                               prompts are prefilled in chunks over several steps, so this bounds the latency a
 *                               new prompt adds to running sequences' next token, and never refuses a request
 * @param maxConcurrentSequences most sequences decoding together; more wait in the queue
 * @param maxQueuedRequests      most requests waiting for admission; more are refused ({@code max-queued-requests})
 * @param queueTimeout           longest wait for admission before a request fails ({@code queue-timeout})
 */
public record EngineLimits(int maxInputLength, int maxTotalTokens, int maxBatchPrefillTokens, int maxConcurrentSequences,
                           int maxQueuedRequests, Duration queueTimeout) {

    public EngineLimits {
        requireAtLeast("maxInputLength", maxInputLength, 0);
        requireAtLeast("maxTotalTokens", maxTotalTokens, 0);
        requireAtLeast("maxBatchPrefillTokens", maxBatchPrefillTokens, 1);
        requireAtLeast("maxConcurrentSequences", maxConcurrentSequences, 1);
        requireAtLeast("maxQueuedRequests", maxQueuedRequests, 0);
        if (queueTimeout == null || queueTimeout.isNegative() || queueTimeout.isZero()) {
            throw new IllegalArgumentException("queueTimeout must be positive, but was " + queueTimeout);
        }
        if (maxInputLength > 0 && maxTotalTokens > 0 && maxInputLength >= maxTotalTokens) {
            throw new IllegalArgumentException("maxInputLength (" + maxInputLength + ") must be less than maxTotalTokens ("
                    + maxTotalTokens + "): a request needs room for at least one new token");
        }
    }

    private static void requireAtLeast(String name, int value, int min) {
        if (value < min) throw new IllegalArgumentException(name + " must be >= " + min + ", but was " + value);
    }

    /**
     * Input and total length from the model's context, 256 prefill tokens per step, 16 concurrent sequences,
     * 128 queued requests, a 60 s queue timeout.
     */
    public static EngineLimits defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().maxInputLength(maxInputLength).maxTotalTokens(maxTotalTokens)
                .maxBatchPrefillTokens(maxBatchPrefillTokens).maxConcurrentSequences(maxConcurrentSequences)
                .maxQueuedRequests(maxQueuedRequests).queueTimeout(queueTimeout);
    }

    /** These limits with the model-derived values (0) filled in; refuses a total length beyond the model's context. */
    EngineLimits resolve(LlamaConfig model) {
        int context = model.maxPositionEmbeddings();
        if (maxTotalTokens > context) {
            throw new IllegalArgumentException("maxTotalTokens (" + maxTotalTokens + ") exceeds the model's context of "
                    + context + " positions (max_position_embeddings)");
        }
        int total = maxTotalTokens > 0 ? maxTotalTokens : context;
        int input = maxInputLength > 0 ? maxInputLength : total - 1;
        return new EngineLimits(input, total, maxBatchPrefillTokens, maxConcurrentSequences, maxQueuedRequests, queueTimeout);
    }

    /** Builds {@link EngineLimits}; see the record's components for each value and {@link #defaults()} for defaults. */
    public static final class Builder {
        private int maxInputLength, maxTotalTokens;
        private int maxBatchPrefillTokens = 256, maxConcurrentSequences = 16, maxQueuedRequests = 128;
        private Duration queueTimeout = Duration.ofSeconds(60);

        private Builder() {}

        public Builder maxInputLength(int maxInputLength) {
            this.maxInputLength = maxInputLength;
            return this;
        }

        public Builder maxTotalTokens(int maxTotalTokens) {
            this.maxTotalTokens = maxTotalTokens;
            return this;
        }

        public Builder maxBatchPrefillTokens(int maxBatchPrefillTokens) {
            this.maxBatchPrefillTokens = maxBatchPrefillTokens;
            return this;
        }

        public Builder maxConcurrentSequences(int maxConcurrentSequences) {
            this.maxConcurrentSequences = maxConcurrentSequences;
            return this;
        }

        public Builder maxQueuedRequests(int maxQueuedRequests) {
            this.maxQueuedRequests = maxQueuedRequests;
            return this;
        }

        public Builder queueTimeout(Duration queueTimeout) {
            this.queueTimeout = queueTimeout;
            return this;
        }

        public EngineLimits build() {
            return new EngineLimits(maxInputLength, maxTotalTokens, maxBatchPrefillTokens, maxConcurrentSequences,
                    maxQueuedRequests, queueTimeout);
        }
    }
}
