package org.gptq4j.cli;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;

import java.io.PrintWriter;
import java.util.concurrent.CompletableFuture;

/**
 * One answer being streamed: prints each piece as it arrives and can be stopped midway through its
 * {@link StreamingHandle} (which cancels the generation and frees its KV cache).
 */
final class StreamedAnswer implements StreamingChatResponseHandler {
    /** The answer's text; {@code tokens} is null when it was stopped. */
    record Outcome(String text, boolean stopped, Integer tokens) {}

    private final PrintWriter out;
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<Outcome> result = new CompletableFuture<>();
    private StreamingHandle handle;
    private boolean stopped;

    StreamedAnswer(PrintWriter out) {
        this.out = out;
    }

    CompletableFuture<Outcome> result() {
        return result;
    }

    @Override
    public synchronized void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
        handle = context.streamingHandle();
        if (stopped) {
            handle.cancel(); // stopped before the first piece arrived
            return;
        }
        text.append(partial.text());
        out.print(partial.text());
        out.flush();
    }

    @Override
    public synchronized void onCompleteResponse(ChatResponse response) {
        Integer tokens = response.tokenUsage() == null ? null : response.tokenUsage().outputTokenCount();
        result.complete(new Outcome(response.aiMessage().text() == null ? text.toString() : response.aiMessage().text(), false, tokens));
    }

    @Override
    public void onError(Throwable error) {
        result.completeExceptionally(error);
    }

    /** Stops the answer where it is; returns false if it had already ended. */
    synchronized boolean stop() {
        if (result.isDone()) return false;
        stopped = true;
        if (handle != null) handle.cancel();
        return result.complete(new Outcome(text.toString(), true, null));
    }
}
