package org.gptq4j.scheduler;

import org.gptq4j.model.ForwardBatch;

/**
 * One forward pass of the model over a batch (in production {@code model.forward(batch, cache, pool)} over the
 * engine's KV memory): writes the batch's keys and values where the batch's block tables say and returns the logits
 * of the rows that want them, row-major. The scheduler never sees the KV memory, only the tables.
 */
@FunctionalInterface
public interface ModelRunner {
    float[] forward(ForwardBatch batch);
}
