package org.gptq4j.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationResult;

/** Collects a generation for {@link GptqChatModel}: the caller blocks until the answer is complete. */
final class BlockingGeneration implements GenerationListener {
    private final GenerationPlan plan;
    private final CompletableFuture<ChatResponse> response = new CompletableFuture<>();

    private BlockingGeneration(GenerationPlan plan) {
        this.plan = plan;
    }

    static ChatResponse run(GenerationBackend backend, GenerationPlan plan) {
        BlockingGeneration collector = new BlockingGeneration(plan);
        GenerationHandle generation = backend.submit(plan.request(), collector);
        try {
            return collector.response.get();
        } catch (InterruptedException e) {
            generation.cancel();
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the model");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) throw runtime;
            if (e.getCause() instanceof Error error) throw error;
            throw new IllegalStateException("generation failed", e.getCause());
        }
    }

    @Override
    public void onComplete(GenerationResult result) {
        String answer = result.text();
        response.complete(ResponseAssembler.response(plan, answer, ResponseAssembler.toolCalls(plan, answer), result));
    }

    @Override
    public void onError(Throwable error) {
        response.completeExceptionally(error);
    }
}
