package org.gptq4j.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Collects a generation for {@link GptqChatModel}: the caller blocks until the answer is complete. */
final class BlockingGeneration implements GenerationBackend.Listener {
    private final GenerationPlan plan;
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<ChatResponse> response = new CompletableFuture<>();

    private BlockingGeneration(GenerationPlan plan) {
        this.plan = plan;
    }

    static ChatResponse run(GenerationBackend backend, GenerationPlan plan) {
        BlockingGeneration collector = new BlockingGeneration(plan);
        GenerationBackend.Generation generation =
                backend.submit(plan.promptTokenIds(), plan.sampling(), plan.constraint(), collector);
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
    public void onToken(int tokenId, String textDelta) {
        text.append(textDelta);
    }

    @Override
    public void onComplete(GenerationBackend.Outcome outcome) {
        String answer = text.toString();
        response.complete(ResponseAssembler.response(plan, answer, ResponseAssembler.toolCalls(plan, answer), outcome));
    }

    @Override
    public void onError(Throwable error) {
        response.completeExceptionally(error);
    }
}
