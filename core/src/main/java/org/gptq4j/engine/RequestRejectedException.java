package org.gptq4j.engine;

/**
 * A request the engine will not run because of one of its limits. The message names the limit and the numbers;
 * {@link #limit()}, {@link #requested()} and {@link #allowed()} give them to code (an HTTP layer maps
 * {@link Limit#MAX_QUEUED_REQUESTS} and {@link Limit#QUEUE_TIMEOUT} to 429/503, the others to 400/413).
 */
public final class RequestRejectedException extends RuntimeException {

    /** The limit that refused a request, with its TGI-style name. */
    public enum Limit {
        /** The prompt is longer than {@link EngineLimits#maxInputLength()}. */
        MAX_INPUT_LENGTH("max-input-length"),
        /** Prompt plus {@code maxNewTokens} exceed {@link EngineLimits#maxTotalTokens()}. */
        MAX_TOTAL_TOKENS("max-total-tokens"),
        /** Prompt plus {@code maxNewTokens} need more KV blocks than the whole cache has. */
        KV_CACHE_BLOCKS("kv-cache-blocks"),
        /** {@link EngineLimits#maxQueuedRequests()} requests are already waiting. */
        MAX_QUEUED_REQUESTS("max-queued-requests"),
        /** The request waited longer than {@link EngineLimits#queueTimeout()} for admission. */
        QUEUE_TIMEOUT("queue-timeout");

        private final String limitName;

        Limit(String limitName) {
            this.limitName = limitName;
        }

        /** The TGI-style name, e.g. {@code max-input-length}. */
        public String limitName() {
            return limitName;
        }
    }

    private final Limit limit;
    private final long requested, allowed;

    RequestRejectedException(Limit limit, long requested, long allowed, String message) {
        super(limit.limitName() + ": " + message);
        this.limit = limit;
        this.requested = requested;
        this.allowed = allowed;
    }

    public Limit limit() {
        return limit;
    }

    /** What the request needed (tokens, blocks, queued requests or milliseconds waited, per the limit). */
    public long requested() {
        return requested;
    }

    /** What the limit allows, in the same unit. */
    public long allowed() {
        return allowed;
    }
}
