package org.gptq4j.spring.openai;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import org.gptq4j.langchain4j.GptqChatModel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.gptq4j.spring.GptqAutoConfiguration;
import org.gptq4j.spring.GptqChatModelProperties;
import org.gptq4j.spring.GptqServerProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * The OpenAI-compatible API ({@link OpenAiChatController}) in a Spring MVC application that sets
 * {@code langchain4j.gptq.server.enabled=true} and has a {@link ChatModel} bean (the starter's, or its own).
 */
@AutoConfiguration(after = GptqAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBooleanProperty(GptqServerProperties.PREFIX + ".enabled")
@EnableConfigurationProperties({GptqServerProperties.class, GptqChatModelProperties.class})
public class GptqOpenAiServerAutoConfiguration {

    /** One virtual thread per stream write: never blocks the engine thread, never holds a pool thread. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(name = "gptqSseWriter")
    ExecutorService gptqSseWriter() {
        return Executors.newVirtualThreadPerTaskExecutor();
    }

    @Bean
    @ConditionalOnBean(ChatModel.class)
    @ConditionalOnMissingBean
    public OpenAiChatController gptqOpenAiChatController(ChatModel chatModel,
                                                         ObjectProvider<StreamingChatModel> streamingChatModel,
                                                         GptqChatModelProperties model,
                                                         @Qualifier("gptqSseWriter") ExecutorService sseWriter) {
        return new OpenAiChatController(chatModel, streamingChatModel.getIfAvailable(), modelName(chatModel, model),
                sseWriter);
    }

    /**
     * The starter's models are named from the properties (asking them would load a lazily loaded model); an
     * application's own model names itself.
     */
    private static String modelName(ChatModel chatModel, GptqChatModelProperties model) {
        if (chatModel instanceof GptqChatModel) return model.servedModelName();
        ChatRequestParameters defaults = chatModel.defaultRequestParameters();
        return defaults != null && defaults.modelName() != null ? defaults.modelName() : model.servedModelName();
    }
}
