package org.gptq4j.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted generation: its eventual result, and a way to stop it. Thread-safe. */
public interface GenerationHandle {
    /**
     * Stops the generation at the engine's next step; its KV blocks are freed then and the result ends with
     * {@link org.gptq4j.sampling.FinishReason#CANCELLED}. No effect once it has ended.
     */
    void cancel();

    /**
     * Completes with the result (cancelled generations included) or exceptionally with what
     * {@link GenerationListener#onError} received. Cancelling this future does not stop the generation; use
     * {@link #cancel()}.
     */
    CompletableFuture<GenerationResult> result();
}
