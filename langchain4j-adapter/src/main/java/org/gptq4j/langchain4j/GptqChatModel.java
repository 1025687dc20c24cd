package org.gptq4j.langchain4j;

import static dev.langchain4j.spi.ServiceHelper.loadFactories;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.gptq4j.langchain4j.spi.GptqChatModelBuilderFactory;

/**
 * A LangChain4j {@link ChatModel} that runs a GPTQ-quantized Llama model inside this JVM: a drop-in
 * replacement for {@code OllamaChatModel} or {@code OpenAiChatModel} in AiServices, RAG and agents.
 *
 * <pre>{@code
 * ChatModel model = GptqChatModel.builder()
 *         .engine(engine)              // or .modelPath(Path.of("models/firefly-llama2-7b-chat-gptq"))
 *         .chatTemplate("firefly")
 *         .temperature(0.7)
 *         .build();
 * String answer = model.chat("Hello!");
 * }</pre>
 *
 * <p>{@link #doChat} blocks the caller until the answer is complete; several models (and streaming models)
 * may share one engine, whose scheduler batches their requests.
 */
public class GptqChatModel extends GptqBaseChatModel implements ChatModel, AutoCloseable {

    public GptqChatModel(GptqChatModelBuilder builder) {
        super(builder);
    }

    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        GenerationPlan plan = planner.plan(chatRequest);
        exchangeLog.request(chatRequest, plan);
        ChatResponse response = BlockingGeneration.run(backend, plan);
        exchangeLog.response(response);
        return response;
    }

    /** A new builder: the first {@link GptqChatModelBuilderFactory} registered through {@code META-INF/services}'s, else a plain one. */
    public static GptqChatModelBuilder builder() {
        for (GptqChatModelBuilderFactory factory : loadFactories(GptqChatModelBuilderFactory.class)) {
            return factory.get();
        }
        return new GptqChatModelBuilder();
    }

    /** Builds a {@link GptqChatModel}. */
    public static class GptqChatModelBuilder extends EngineBuilder<GptqChatModel, GptqChatModelBuilder> {

        public GptqChatModelBuilder() {
            // public so that it can be extended
        }

        @Override
        protected GptqChatModelBuilder self() {
            return this;
        }

        @Override
        public GptqChatModel build() {
            return new GptqChatModel(this);
        }
    }
}
