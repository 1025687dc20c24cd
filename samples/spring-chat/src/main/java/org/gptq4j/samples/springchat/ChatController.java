package org.gptq4j.samples.springchat;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * Streams an answer as server-sent events: a {@code token} event per piece of text (JSON {@code {"text": ...}}, so
 * that spaces and line breaks survive), then {@code done}. A browser that goes away cancels the generation.
 */
@RestController
class ChatController {
    private final StreamingChatModel model;

    ChatController(StreamingChatModel model) {
        this.model = model;
    }

    @GetMapping(path = "/chat", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter chat(@RequestParam String message) {
        SseEmitter emitter = new SseEmitter(Duration.ofMinutes(5).toMillis());
        model.chat(message, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                try {
                    emitter.send(SseEmitter.event().name("token").data(Map.of("text", partial.text()), MediaType.APPLICATION_JSON));
                } catch (IOException | IllegalStateException e) {
                    context.streamingHandle().cancel(); // the browser left
                }
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                try {
                    emitter.send(SseEmitter.event().name("done").data(""));
                    emitter.complete();
                } catch (IOException | IllegalStateException e) {
                    emitter.completeWithError(e);
                }
            }

            @Override
            public void onError(Throwable error) {
                emitter.completeWithError(error);
            }
        });
        return emitter;
    }
}
