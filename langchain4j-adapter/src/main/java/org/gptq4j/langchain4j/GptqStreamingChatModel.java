package org.gptq4j.langchain4j;

import static dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils.withLoggingExceptions;
import static dev.langchain4j.spi.ServiceHelper.loadFactories;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import org.gptq4j.langchain4j.spi.GptqStreamingChatModelBuilderFactory;

/**
 * A LangChain4j {@link StreamingChatModel} that runs a GPTQ-quantized Llama model inside this JVM.
 *
 * <p>{@link #doChat} checks and renders the request on the caller's thread (so an unsupported request
 * throws {@code UnsupportedFeatureException} right there) and returns at once. The handler is then called
 * on the engine's thread, one thread for all callbacks of a stream, never the caller's. The
 * {@code StreamingHandle} of each partial response cancels the generation and frees its KV-cache blocks.
 * For Reactor, see {@link org.gptq4j.langchain4j.reactor.ReactiveChat}.
 */
public class GptqStreamingChatModel extends GptqBaseChatModel implements StreamingChatModel, AutoCloseable {

    public GptqStreamingChatModel(GptqStreamingChatModelBuilder builder) {
        super(builder);
    }

    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        GenerationPlan plan;
        try {
            plan = planner.plan(chatRequest);
        } catch (InvalidRequestException e) {
            // like a provider's HTTP 400: the request was well-formed but can not be served (context window)
            withLoggingExceptions(() -> handler.onError(e));
            return;
        }
        exchangeLog.request(chatRequest, plan);
        new StreamingGeneration(plan, handler, exchangeLog).start(backend);
    }

    /** A new builder: the first {@link GptqStreamingChatModelBuilderFactory} registered through {@code META-INF/services}'s, else a plain one. */
    public static GptqStreamingChatModelBuilder builder() {
        for (GptqStreamingChatModelBuilderFactory factory : loadFactories(GptqStreamingChatModelBuilderFactory.class)) {
            return factory.get();
        }
        return new GptqStreamingChatModelBuilder();
    }

    /** Builds a {@link GptqStreamingChatModel}. */
    public static class GptqStreamingChatModelBuilder
            extends EngineBuilder<GptqStreamingChatModel, GptqStreamingChatModelBuilder> {

        public GptqStreamingChatModelBuilder() {
            // public so that it can be extended
        }

        @Override
        protected GptqStreamingChatModelBuilder self() {
            return this;
        }

        @Override
        public GptqStreamingChatModel build() {
            return new GptqStreamingChatModel(this);
        }
    }
}
