package org.gptq4j.spring;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The chat models on a remote OpenAI-compatible server ({@code langchain4j.gptq.chat-model.base-url}): LangChain4j's
 * own OpenAI client, configured from the same chat-model properties as the in-process models, so that an
 * application moves to a GPU serving cluster by adding one property. The model is asked for by
 * {@link GptqChatModelProperties#servedModelName()} (the repository id: what vLLM serves a model as unless
 * {@code --served-model-name} says otherwise); temperature, top-p, max-new-tokens, seed and stop sequences are
 * OpenAI fields; top-k and the repetition penalty, which OpenAI's API lacks, are sent as the extra body fields
 * {@code top_k} and {@code repetition_penalty} that vLLM and gptq4j's own endpoint honour. Nothing is loaded in this
 * process; the chat template is the server's.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(GptqChatModelProperties.BASE_URL)
class GptqRemoteChatModels {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(OpenAiChatModel.class)
    static class OpenAiClient {

        @Bean
        @ConditionalOnMissingBean(name = "gptqChatModel")
        ChatModel gptqChatModel(GptqChatModelProperties model, ObjectProvider<ChatModelListener> listeners) {
            return OpenAiChatModel.builder().baseUrl(model.baseUrl().toString()).apiKey(model.apiKey())
                    .modelName(model.servedModelName()).temperature(model.temperature()).topP(model.topP())
                    .maxTokens(model.maxNewTokens()).seed(seed(model)).stop(stops(model))
                    .customParameters(extraFields(model))
                    .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA)
                    .listeners(listeners.orderedStream().toList()).build();
        }

        @Bean
        @ConditionalOnMissingBean(name = "gptqStreamingChatModel")
        StreamingChatModel gptqStreamingChatModel(GptqChatModelProperties model,
                                                  ObjectProvider<ChatModelListener> listeners) {
            return OpenAiStreamingChatModel.builder().baseUrl(model.baseUrl().toString()).apiKey(model.apiKey())
                    .modelName(model.servedModelName()).temperature(model.temperature()).topP(model.topP())
                    .maxTokens(model.maxNewTokens()).seed(seed(model)).stop(stops(model))
                    .customParameters(extraFields(model))
                    .listeners(listeners.orderedStream().toList()).build();
        }
    }

    /** {@code base-url} without LangChain4j's OpenAI client on the class path: a startup error that says what to add. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingClass("dev.langchain4j.model.openai.OpenAiChatModel")
    static class NoOpenAiClient {

        @Bean
        Object gptqRemoteChatModelUnavailable(GptqChatModelProperties model) {
            throw new GptqPropertyException(GptqChatModelProperties.BASE_URL, model.baseUrl(),
                    "a remote engine needs LangChain4j's OpenAI client (dev.langchain4j:langchain4j-open-ai),"
                            + " which is not on the class path",
                    "add the dependency dev.langchain4j:langchain4j-open-ai, or unset it to run the model here");
        }
    }

    /**
     * The sampling settings OpenAI's API has no field for, in vLLM's names; each only when it does something (top-k
     * 0 and a repetition penalty of 1 disable them), so that a server without them is not sent them needlessly.
     */
    static Map<String, Object> extraFields(GptqChatModelProperties model) {
        Map<String, Object> extra = new LinkedHashMap<>();
        if (model.topK() > 0) extra.put("top_k", model.topK());
        if (model.repetitionPenalty() != 1.0) extra.put("repetition_penalty", model.repetitionPenalty());
        return extra;
    }

    private static List<String> stops(GptqChatModelProperties model) {
        return model.stopSequences().isEmpty() ? null : model.stopSequences();
    }

    /** OpenAI's seed is an int. */
    private static Integer seed(GptqChatModelProperties model) {
        Long seed = model.seed();
        if (seed == null) return null;
        if (seed < Integer.MIN_VALUE || seed > Integer.MAX_VALUE) {
            throw new GptqPropertyException(GptqChatModelProperties.PREFIX + ".seed", seed,
                    "OpenAI's API takes a 32-bit seed", "an integer from " + Integer.MIN_VALUE + " to "
                    + Integer.MAX_VALUE + " with base-url set");
        }
        return seed.intValue();
    }
}
