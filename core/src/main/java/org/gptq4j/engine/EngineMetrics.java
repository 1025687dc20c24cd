package org.gptq4j.engine;

import java.time.Duration;

/**
 * A snapshot of the engine's state and counters, refreshed after every step; cheap to read from any thread
 * ({@link Engine#metrics()}). Gauges: queue, running, KV blocks. Counters are totals since the engine started
 * (bind them as Micrometer function counters). Rates and latencies are over recent activity.
 *
 * @param queueDepth              requests waiting for admission (preempted sequences included)
 * @param runningSequences        sequences in the running batch
 * @param kvBlocksTotal           blocks in the KV cache
 * @param kvBlocksUsed            blocks held by running sequences
 * @param kvBlocksFree            blocks held by none (cached prefix blocks among them can still be reused)
 * @param kvBlocksCached          blocks registered in the prefix cache, held or free
 * @param prefixCacheHitRate      prompt tokens reused from the prefix cache / prompt tokens looked up
 * @param requestsCompleted       requests that ended with a result (cancelled ones included)
 * @param requestsFailed          requests that ended with an error (queue timeouts included)
 * @param requestsRejected        requests refused at submission
 * @param promptTokens            prompt tokens of accepted requests
 * @param generatedTokens         tokens generated
 * @param preemptions             times a sequence was preempted
 * @param decodeTokensPerSecond   tokens generated per second over the last few seconds
 * @param meanTimeToFirstToken    mean over the last 100 requests that produced a token
 * @param meanInterTokenLatency   mean over the last 100 requests that produced two tokens or more
 */
public record EngineMetrics(int queueDepth, int runningSequences, int kvBlocksTotal, int kvBlocksUsed, int kvBlocksFree,
                            int kvBlocksCached, double prefixCacheHitRate, long requestsCompleted, long requestsFailed,
                            long requestsRejected, long promptTokens, long generatedTokens, long preemptions,
                            double decodeTokensPerSecond, Duration meanTimeToFirstToken, Duration meanInterTokenLatency) {
}
