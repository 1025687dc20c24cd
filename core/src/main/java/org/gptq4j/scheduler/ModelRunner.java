package org.gptq4j.scheduler;

import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;

/**
 * One forward pass of the model over a batch (in production {@code model.forward(batch, cache, pool)}): writes
 * the batch's keys and values into the cache and returns the logits of the rows that want them, row-major.
 */
@FunctionalInterface
public interface ModelRunner {
    float[] forward(ForwardBatch batch, PagedKvCache cache);
}
