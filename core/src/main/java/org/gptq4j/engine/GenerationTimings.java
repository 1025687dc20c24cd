package org.gptq4j.engine;

import java.time.Duration;

/**
 * Where one generation's time went.
 *
 * @param queued            from submission to first admission into the running batch
 * @param timeToFirstToken  from submission to the first generated token (zero if none)
 * @param total             from submission to the end
 * @param meanInterTokenLatency mean time between consecutive generated tokens (zero with fewer than two)
 */
public record GenerationTimings(Duration queued, Duration timeToFirstToken, Duration total, Duration meanInterTokenLatency) {
}
