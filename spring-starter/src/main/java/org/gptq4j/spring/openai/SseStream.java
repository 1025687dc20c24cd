package org.gptq4j.spring.openai;

import dev.langchain4j.model.chat.response.StreamingHandle;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.springframework.http.MediaType;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;

/**
 * One server-sent-event stream: {@code data: <json>\n\n} events, in order, ending with {@code data: [DONE]}. The
 * chat model calls back on the engine's thread, which must not wait for a slow client, so every write is queued
 * onto {@code writer} (one write at a time per stream). A client that goes away cancels the generation, freeing
 * its KV cache.
 */
final class SseStream {
    private final ResponseBodyEmitter emitter;
    private final Executor writer;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private volatile StreamingHandle handle;
    private volatile boolean gone;

    SseStream(ResponseBodyEmitter emitter, Executor writer) {
        this.emitter = emitter;
        this.writer = writer;
        emitter.onError(e -> clientGone());
        emitter.onTimeout(this::clientGone);
    }

    /** The generation to cancel if the client goes away. */
    void handle(StreamingHandle handle) {
        if (this.handle != null) return;
        this.handle = handle;
        if (gone) handle.cancel();
    }

    /** Queues {@code data: <payload>} (the payload is ASCII: JSON with non-ASCII escaped). */
    synchronized void event(String payload) {
        tail = tail.thenRunAsync(() -> write("data: " + payload + "\n\n"), writer);
    }

    /** Queues {@code data: [DONE]} and the end of the response. */
    synchronized void done() {
        event("[DONE]");
        tail = tail.thenRunAsync(emitter::complete, writer);
    }

    private void write(String text) {
        if (gone) return;
        try {
            emitter.send(text, MediaType.TEXT_PLAIN);
        } catch (IOException | IllegalStateException e) {
            clientGone();
        }
    }

    private void clientGone() {
        gone = true;
        StreamingHandle h = handle;
        if (h != null && !h.isCancelled()) h.cancel();
    }
}
