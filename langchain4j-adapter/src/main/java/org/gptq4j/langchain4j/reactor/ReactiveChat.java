package org.gptq4j.langchain4j.reactor;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * Reactor views of a {@link StreamingChatModel}: a {@code Flux<String>} of partial texts, or a
 * {@code Flux<ChatResponse>}. Subscribing starts the generation; cancelling the subscription cancels it
 * (through the stream's {@link StreamingHandle}, which frees its KV-cache blocks).
 */
public final class ReactiveChat {
    private ReactiveChat() {}

    /** The partial texts of the answer; they concatenate to the answer's text. */
    public static Flux<String> streamText(StreamingChatModel model, ChatRequest request) {
        return stream(model, request, false).map(r -> r.aiMessage().text() == null ? "" : r.aiMessage().text())
                .filter(text -> !text.isEmpty());
    }

    /**
     * One element per partial text (its {@code aiMessage().text()} is that partial text, its metadata is
     * empty), then the complete response (full text or tool calls, token usage, finish reason).
     */
    public static Flux<ChatResponse> streamResponses(StreamingChatModel model, ChatRequest request) {
        return stream(model, request, true);
    }

    private static Flux<ChatResponse> stream(StreamingChatModel model, ChatRequest request, boolean withFinal) {
        return Flux.create(sink -> {
            AtomicReference<StreamingHandle> handle = new AtomicReference<>();
            sink.onCancel(() -> cancel(handle));
            model.chat(request, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                    handle.set(context.streamingHandle());
                    if (sink.isCancelled()) {
                        context.streamingHandle().cancel();
                        return;
                    }
                    sink.next(ChatResponse.builder()
                            .aiMessage(dev.langchain4j.data.message.AiMessage.from(partial.text())).build());
                }

                @Override
                public void onPartialResponse(String partialResponse) {
                    sink.next(ChatResponse.builder()
                            .aiMessage(dev.langchain4j.data.message.AiMessage.from(partialResponse)).build());
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    if (withFinal) sink.next(response);
                    sink.complete();
                }

                @Override
                public void onError(Throwable error) {
                    sink.error(error);
                }
            });
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    private static void cancel(AtomicReference<StreamingHandle> handle) {
        StreamingHandle h = handle.get();
        if (h != null) h.cancel();
    }
}
