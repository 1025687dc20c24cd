package org.gptq4j.spring;

import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import java.util.Optional;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineMetricsListener;
import org.gptq4j.langchain4j.EngineBuilder;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.langchain4j.GptqTokenCountEstimator;
import org.gptq4j.langchain4j.template.ChatTemplate;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.gptq4j.langchain4j.template.TemplateLimits;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Lazy;

/**
 * Auto-configures gptq4j from {@code langchain4j.gptq.*}: with {@code chat-model.repo} or {@code chat-model.model-path}
 * set, one shared {@link Engine} (loaded by a {@link GptqModelLoader} and closed with the context) and the LangChain4j
 * {@link ChatModel} and {@link StreamingChatModel} beans on it, configured from the chat-model properties and given
 * every {@link ChatModelListener} bean, plus a {@link TokenCountEstimator} that counts with the model's tokenizer and
 * the chat models' template. The chat models are gated on this starter's own configuration (a model named, or an
 * application {@link Engine} bean), as LangChain4j's provider starters gate theirs on their properties: another
 * provider's {@code ChatModel} (e.g. LangChain4j's OpenAI starter) beside them changes nothing, and each backs off
 * only from the application's own {@link GptqChatModel} / {@link GptqStreamingChatModel}. An application
 * {@link Engine} bean replaces the loader, and the chat models then run on it. With {@code chat-model.base-url} set,
 * no model is loaded: the chat models are LangChain4j's OpenAI client on that server ({@link GptqRemoteChatModels}).
 */
@AutoConfiguration
@ConditionalOnClass({Engine.class, GptqChatModel.class})
@EnableConfigurationProperties({GptqProperties.class, GptqChatModelProperties.class, GptqHubProperties.class})
@Import(GptqRemoteChatModels.class)
public class GptqAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean({GptqModelLoader.class, Engine.class})
    @Conditional({OnModelConfigured.class, NotRemote.class})
    public GptqModelLoader gptqModelLoader(GptqProperties engine, GptqChatModelProperties model,
                                           GptqHubProperties hub, ObjectProvider<EngineMetricsListener> listeners) {
        return new GptqModelLoader(engine, model, () -> hub.toHubConfig(System.getenv()),
                () -> listeners.orderedStream().toList());
    }

    /**
     * The loader's engine, loaded by the loader the first time a bean asks for it. Lazy so that defining it loads
     * nothing: when the model loads is decided by {@link LazyBean} alone (see {@link #gptqEagerLoading}).
     */
    @Bean(destroyMethod = "")
    @Lazy
    @ConditionalOnBean(GptqModelLoader.class)
    @ConditionalOnMissingBean(Engine.class)
    public Engine gptqEngine(GptqModelLoader loader) {
        return loader.engine();
    }

    /**
     * With {@code loading=eager}, once every singleton exists, creates the engine and every gptq bean behind its
     * {@link LazyBean} proxy, so that a bad model or chat template fails startup; with {@code lazy}, nothing: the
     * first call to one of them does it.
     */
    @Bean
    @ConditionalOnBean(Engine.class)
    public static SmartInitializingSingleton gptqEagerLoading(ObjectProvider<GptqProperties> properties,
                                                              ObjectProvider<Engine> engine,
                                                              ObjectProvider<GptqChatModel> chat,
                                                              ObjectProvider<GptqStreamingChatModel> streaming,
                                                              ObjectProvider<TokenCountEstimator> tokens) {
        return () -> {
            if (properties.getObject().loading() != GptqProperties.Loading.EAGER) return;
            engine.getObject().isRunning(); // resolves the lazy bean: the loader loads the model
            chat.ifAvailable(LazyBean::create);
            streaming.ifAvailable(LazyBean::create);
            tokens.ifAvailable(LazyBean::create);
        };
    }

    /**
     * Drains the engine when the context closes: readiness REFUSING_TRAFFIC, new API requests refused, those in
     * flight finished (at most {@code drain-timeout}), then the engine closed. The starter's engine is closed through
     * its loader; an application's own engine bean is closed too (closing is idempotent).
     */
    @Bean
    @ConditionalOnBean(Engine.class)
    @ConditionalOnMissingBean
    public GptqDrain gptqDrain(GptqProperties properties, ObjectProvider<GptqModelLoader> loader,
                               ObjectProvider<Engine> engine, ApplicationEventPublisher events,
                               ObjectProvider<ApplicationAvailability> availability) {
        GptqModelLoader ours = loader.getIfAvailable();
        if (ours != null) {
            return new GptqDrain(properties.drainTimeout(), ours::loadedEngine, ours::close, events,
                    availability::getIfAvailable);
        }
        return new GptqDrain(properties.drainTimeout(), () -> Optional.of(engine.getObject()),
                () -> engine.getObject().close(), events, availability::getIfAvailable);
    }

    /** Never closed here: it runs on the shared engine, which the loader closes. */
    @Bean(destroyMethod = "")
    @ConditionalOnBean(Engine.class)
    @ConditionalOnMissingBean(GptqChatModel.class)
    public GptqChatModel gptqChatModel(ObjectProvider<Engine> engine, GptqChatModelProperties model,
                                       ObjectProvider<ChatModelListener> listeners) {
        return LazyBean.of(GptqChatModel.class, () -> configure(GptqChatModel.builder(), engine, model, listeners).build());
    }

    @Bean(destroyMethod = "")
    @ConditionalOnBean(Engine.class)
    @ConditionalOnMissingBean(GptqStreamingChatModel.class)
    public GptqStreamingChatModel gptqStreamingChatModel(ObjectProvider<Engine> engine, GptqChatModelProperties model,
                                                         ObjectProvider<ChatModelListener> listeners) {
        return LazyBean.of(GptqStreamingChatModel.class,
                () -> configure(GptqStreamingChatModel.builder(), engine, model, listeners).build());
    }

    /**
     * Counts tokens as the chat models render prompts: the engine's tokenizer and the same chat template. Lazy like
     * the chat models: with {@code loading=lazy} the model loads on the first count.
     */
    @Bean
    @ConditionalOnBean(Engine.class)
    @ConditionalOnMissingBean(TokenCountEstimator.class)
    public TokenCountEstimator gptqTokenCountEstimator(ObjectProvider<Engine> engine, GptqChatModelProperties model) {
        return LazyBean.of(TokenCountEstimator.class, () -> {
            Engine loaded = engine.getObject();
            return new GptqTokenCountEstimator(loaded.tokenizer(),
                    ChatTemplates.resolve(chosenTemplate(model), loaded.model(), TemplateLimits.DEFAULT));
        });
    }

    /** The settings both chat models share. */
    private static <B extends EngineBuilder<?, B>> B configure(B builder, ObjectProvider<Engine> engine,
                                                               GptqChatModelProperties model,
                                                               ObjectProvider<ChatModelListener> listeners) {
        builder.engine(engine.getObject())
                .modelName(model.servedModelName())
                .temperature(model.temperature())
                .topP(model.topP())
                .topK(model.topK())
                .repetitionPenalty(model.repetitionPenalty())
                .maxOutputTokens(model.maxNewTokens())
                .seed(model.seed())
                .stopSequences(model.stopSequences().isEmpty() ? null : model.stopSequences())
                .listeners(listeners.orderedStream().toList());
        return builder.chatTemplate(chosenTemplate(model));
    }

    /**
     * The {@code chat-template} property's template, or null: then {@link ChatTemplates#resolve} takes the engine
     * folder's {@code chat_template}, else {@code raw}, for the chat models and the token counter alike.
     */
    private static ChatTemplate chosenTemplate(GptqChatModelProperties model) {
        return model.chatTemplate() == null ? null : ChatTemplates.named(model.chatTemplate());
    }

    /** No {@code base-url}: the model runs in this process. */
    static final class NotRemote extends NoneNestedConditions {
        NotRemote() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnProperty(GptqChatModelProperties.BASE_URL)
        static final class Remote {}
    }

    /** A model is named: {@code langchain4j.gptq.chat-model.repo} or {@code .model-path} is set. */
    static final class OnModelConfigured extends AnyNestedCondition {
        OnModelConfigured() {
            super(ConfigurationPhase.REGISTER_BEAN);
        }

        @ConditionalOnProperty(GptqChatModelProperties.REPO)
        static final class Repo {}

        @ConditionalOnProperty(GptqChatModelProperties.MODEL_PATH)
        static final class ModelPath {}
    }
}
