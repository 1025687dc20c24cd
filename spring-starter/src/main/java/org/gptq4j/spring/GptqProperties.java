package org.gptq4j.spring;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import org.gptq4j.engine.EngineLimits;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The engine shared by every gptq4j bean: compute threads, KV cache, the serving limits (named as Hugging Face TGI
 * names them) and when the model is loaded. Every value is checked when bound; a bad one fails startup with a
 * {@link GptqPropertyException} naming the property.
 *
 * @param threads                compute threads for the forward pass; default: the available processors
 * @param kvCacheMemory          memory for the paged KV cache (float32 keys and values of every layer), e.g. 2GB;
 *                               default: 1GB, and never less than one request of max-total-tokens
 * @param prefixCaching          reuse the KV cache of prompt prefixes shared by requests (system prompts, chat
 *                               history)
 * @param maxInputLength         most prompt tokens of one request (TGI max-input-length); 0 means max-total-tokens
 *                               - 1
 * @param maxTotalTokens         most prompt plus generated tokens of one request (TGI max-total-tokens); 0 means the
 *                               model's context (max_position_embeddings)
 * @param maxBatchPrefillTokens  most prompt tokens computed in one step (TGI max-batch-prefill-tokens); longer prompts
 *                               are prefilled in chunks
 * @param maxConcurrentSequences most sequences decoding together; more requests wait in the queue
 * @param maxQueuedRequests      most requests waiting for a place; more are refused at once (HTTP 429 on the OpenAI
 *                               endpoint)
 * @param queueTimeout           longest wait in the queue before a request fails
 * @param loading                eager: resolve, download and load the model at startup (fail fast, progress in the
 *                               log); lazy: on the first request
 * @param drainTimeout           at shutdown, the longest wait for requests in flight to finish (after readiness went
 *                               to REFUSING_TRAFFIC and new API requests get 503) before the engine is closed,
 *                               failing what is left; keep it below the platform's grace period (Kubernetes:
 *                               terminationGracePeriodSeconds, 30 s by default)
 */
@ConfigurationProperties(GptqProperties.PREFIX)
public record GptqProperties(
        Integer threads,
        DataSize kvCacheMemory,
        @DefaultValue("true") boolean prefixCaching,
        @DefaultValue("0") int maxInputLength,
        @DefaultValue("0") int maxTotalTokens,
        @DefaultValue("256") int maxBatchPrefillTokens,
        @DefaultValue("16") int maxConcurrentSequences,
        @DefaultValue("128") int maxQueuedRequests,
        @DefaultValue("60s") Duration queueTimeout,
        @DefaultValue("eager") Loading loading,
        @DefaultValue("20s") Duration drainTimeout) {

    public static final String PREFIX = "langchain4j.gptq";

    /** When the model is resolved and loaded. */
    public enum Loading {
        /** At startup, failing it when the model cannot be had. */
        EAGER,
        /** On first use; startup does not touch the model. */
        LAZY;

        static String allowed() {
            return String.join(", ", Arrays.stream(values()).map(l -> l.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    public GptqProperties {
        if (threads != null && threads < 1) {
            throw new GptqPropertyException(PREFIX + ".threads", threads, "at least one compute thread is needed",
                    "an integer >= 1, or unset for the available processors ("
                            + Runtime.getRuntime().availableProcessors() + ")");
        }
        if (kvCacheMemory != null && kvCacheMemory.toBytes() < 1) {
            throw new GptqPropertyException(PREFIX + ".kv-cache-memory", kvCacheMemory, "the KV cache needs memory",
                    "a positive size such as 512MB or 4GB, or unset for 1GB");
        }
        if (drainTimeout == null || drainTimeout.isNegative()) {
            throw new GptqPropertyException(PREFIX + ".drain-timeout", drainTimeout, "a wait cannot be negative",
                    "a duration >= 0 such as 20s (0 closes the engine at once)");
        }
        toEngineLimits(maxInputLength, maxTotalTokens, maxBatchPrefillTokens, maxConcurrentSequences,
                maxQueuedRequests, queueTimeout);
    }

    /** The serving limits; the model-derived ones (0) are filled in by the engine. */
    public EngineLimits engineLimits() {
        return toEngineLimits(maxInputLength, maxTotalTokens, maxBatchPrefillTokens, maxConcurrentSequences,
                maxQueuedRequests, queueTimeout);
    }

    /** Checks each limit on its own (so that the failure names its property), then all of them together. */
    private static EngineLimits toEngineLimits(int maxInputLength, int maxTotalTokens, int maxBatchPrefillTokens,
                                               int maxConcurrentSequences, int maxQueuedRequests,
                                               Duration queueTimeout) {
        limit("max-input-length", maxInputLength, ">= 0 (0: max-total-tokens - 1)",
                () -> EngineLimits.builder().maxInputLength(maxInputLength).build());
        limit("max-total-tokens", maxTotalTokens, ">= 0 (0: the model's context)",
                () -> EngineLimits.builder().maxTotalTokens(maxTotalTokens).build());
        limit("max-batch-prefill-tokens", maxBatchPrefillTokens, ">= 1",
                () -> EngineLimits.builder().maxBatchPrefillTokens(maxBatchPrefillTokens).build());
        limit("max-concurrent-sequences", maxConcurrentSequences, ">= 1",
                () -> EngineLimits.builder().maxConcurrentSequences(maxConcurrentSequences).build());
        limit("max-queued-requests", maxQueuedRequests, ">= 0",
                () -> EngineLimits.builder().maxQueuedRequests(maxQueuedRequests).build());
        limit("queue-timeout", queueTimeout, "a positive duration such as 30s or 2m",
                () -> EngineLimits.builder().queueTimeout(queueTimeout).build());
        return limit("max-input-length", maxInputLength, "less than max-total-tokens (" + maxTotalTokens
                + "), or 0", () -> EngineLimits.builder().maxInputLength(maxInputLength)
                .maxTotalTokens(maxTotalTokens).maxBatchPrefillTokens(maxBatchPrefillTokens)
                .maxConcurrentSequences(maxConcurrentSequences).maxQueuedRequests(maxQueuedRequests)
                .queueTimeout(queueTimeout).build());
    }

    private static EngineLimits limit(String name, Object value, String allowed, Supplier<EngineLimits> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new GptqPropertyException(PREFIX + "." + name, value, e.getMessage(), allowed, e);
        }
    }
}
