package org.gptq4j.spring.openai;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import java.util.concurrent.Executors;
import org.gptq4j.spring.GptqAutoConfiguration;
import org.gptq4j.spring.GptqChatModelProperties;
import org.gptq4j.spring.GptqDrain;
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
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.core.env.Environment;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * The OpenAI-compatible API ({@link OpenAiChatController}) in a Spring MVC application that sets
 * {@code langchain4j.gptq.server.enabled=true} and has a {@link ChatModel} bean (the starter's, or its own), with
 * what guards it: the API key check ({@code server.api-keys}), the request size limit
 * ({@code server.max-request-size}) and the OpenAI-shaped error answers for every exception on its paths.
 */
@AutoConfiguration(after = GptqAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBooleanProperty(GptqServerProperties.PREFIX + ".enabled")
@EnableConfigurationProperties({GptqServerProperties.class, GptqChatModelProperties.class})
public class GptqOpenAiServerAutoConfiguration {
    private static final Log LOG = LogFactory.getLog(GptqOpenAiServerAutoConfiguration.class);

    /** One virtual thread per stream write: never blocks the engine thread, never holds a pool thread. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(name = "gptqSseWriter")
    ExecutorService gptqSseWriter() {
        return Executors.newVirtualThreadPerTaskExecutor();
    }

    @Bean
    @ConditionalOnBean(ChatModel.class)
    @ConditionalOnMissingBean
    public OpenAiChatController gptqOpenAiChatController(ObjectProvider<ChatModel> chatModels,
                                                         ObjectProvider<StreamingChatModel> streamingChatModels,
                                                         GptqChatModelProperties model, GptqServerProperties server,
                                                         @Qualifier("gptqSseWriter") ExecutorService sseWriter,
                                                         Environment environment) {
        warnIfOpen(server, environment);
        ChatModel chatModel = served(chatModels, GptqChatModel.class);
        StreamingChatModel streaming = streamingChatModels.orderedStream().anyMatch(GptqStreamingChatModel.class::isInstance)
                || streamingChatModels.getIfUnique() != null ? served(streamingChatModels, GptqStreamingChatModel.class) : null;
        return new OpenAiChatController(chatModel, streaming, modelName(chatModel, model), sseWriter, server.maxTokens());
    }

    /**
     * The model the API serves: this starter's when there is one (another provider's bean beside it is not served),
     * else the application's only one; several of another kind and none of ours is a startup error.
     */
    private static <T> T served(ObjectProvider<T> beans, Class<? extends T> ours) {
        return beans.orderedStream().filter(ours::isInstance).findFirst().orElseGet(beans::getObject);
    }

    /** Answers the API paths' exceptions, Spring MVC's own included, in the OpenAI error shape. */
    @Bean
    @ConditionalOnMissingBean
    OpenAiExceptionResolver gptqOpenAiExceptionResolver() {
        return new OpenAiExceptionResolver();
    }

    /** Checks the API key first: an unauthenticated request is answered before its body is read. */
    @Bean
    @Conditional(HasApiKeys.class)
    FilterRegistrationBean<ApiKeyFilter> gptqApiKeyFilter(GptqServerProperties server) {
        return registration(new ApiKeyFilter(server.apiKeys()), FILTER_ORDER);
    }

    /** After the key check: a client without a key learns nothing, not even that the server drains. */
    @Bean
    @ConditionalOnBean(GptqDrain.class)
    FilterRegistrationBean<DrainFilter> gptqDrainFilter(GptqDrain drain) {
        return registration(new DrainFilter(drain), FILTER_ORDER + 2);
    }

    @Bean
    FilterRegistrationBean<RequestSizeLimitFilter> gptqRequestSizeLimitFilter(GptqServerProperties server) {
        return registration(new RequestSizeLimitFilter(server.maxRequestSize().toBytes()), FILTER_ORDER + 1);
    }

    /** After Spring Security's filter chain (-100) and Spring's own request filters, before the dispatcher. */
    private static final int FILTER_ORDER = 0;

    private static <F extends jakarta.servlet.Filter> FilterRegistrationBean<F> registration(F filter, int order) {
        FilterRegistrationBean<F> registration = new FilterRegistrationBean<>(filter);
        registration.setOrder(order);
        registration.addUrlPatterns("/*"); // the filter itself keeps to the API paths, wherever the dispatcher is mapped
        return registration;
    }

    /**
     * An API without keys is open to anyone who can reach it: fine on loopback, worth a warning anywhere else
     * ({@code server.address} unset binds every interface).
     */
    private static void warnIfOpen(GptqServerProperties server, Environment environment) {
        if (!server.apiKeys().isEmpty()) return;
        String address = environment.getProperty("server.address");
        if (address != null && isLoopback(address)) return;
        LOG.warn("The OpenAI-compatible API at " + OpenAiChatController.BASE_PATH + " has no API keys ("
                + GptqServerProperties.PREFIX + ".api-keys) and the server is bound to "
                + (address == null ? "every interface (server.address is unset)" : address)
                + ": anyone who can reach it can use the model. Set API keys, or server.address=127.0.0.1.");
    }

    /** {@code server.api-keys} holds at least one key (in either list notation). */
    static final class HasApiKeys implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return Binder.get(context.getEnvironment()).bind(GptqServerProperties.PREFIX + ".api-keys",
                    Bindable.listOf(String.class)).map(keys -> !keys.isEmpty()).orElse(false);
        }
    }

    private static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
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
