package org.gptq4j.spring;

import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineMetricsListener;
import org.gptq4j.langchain4j.EngineBuilder;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.langchain4j.GptqTokenCountEstimator;
import org.gptq4j.langchain4j.template.ChatTemplate;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Lazy;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Auto-configures gptq4j from {@code langchain4j.gptq.*}: with {@code chat-model.repo} or {@code chat-model.model-path}
 * set, one shared {@link Engine} (loaded by a {@link GptqModelLoader} and closed with the context) and the LangChain4j
 * {@link ChatModel} and {@link StreamingChatModel} beans on it, configured from the chat-model properties and given
 * every {@link ChatModelListener} bean, plus a {@link TokenCountEstimator} that counts with the model's tokenizer and
 * the chat models' template. The chat models are gated on this starter's own configuration (a model named, or an
 * application {@link Engine} bean), as LangChain4j's provider starters gate theirs on their properties: another
 * provider's {@code ChatModel} (e.g. LangChain4j's OpenAI starter) beside them changes nothing, and each backs off
 * only from the application's own {@link GptqChatModel} / {@link GptqStreamingChatModel}. An application
 * {@link Engine} bean replaces the loader, and the chat models then run on it.
 */
@AutoConfiguration
@ConditionalOnClass({Engine.class, GptqChatModel.class})
@EnableConfigurationProperties({GptqProperties.class, GptqChatModelProperties.class, GptqHubProperties.class})
public class GptqAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean({GptqModelLoader.class, Engine.class})
    @Conditional(OnModelConfigured.class)
    public GptqModelLoader gptqModelLoader(GptqProperties engine, GptqChatModelProperties model,
                                           GptqHubProperties hub, ObjectProvider<EngineMetricsListener> listeners) {
        return new GptqModelLoader(engine, model, () -> hub.toHubConfig(System.getenv()),
                () -> listeners.orderedStream().toList());
    }

    /** Lazy: loading the model is the loader's decision (see {@link #gptqEagerLoading}); it also closes it. */
    @Bean(destroyMethod = "")
    @Lazy
    @ConditionalOnBean(GptqModelLoader.class)
    @ConditionalOnMissingBean(Engine.class)
    public Engine gptqEngine(GptqModelLoader loader) {
        return loader.engine();
    }

    /** With eager loading, loads the model once every singleton exists, so that a bad model fails startup. */
    @Bean
    @ConditionalOnBean(GptqModelLoader.class)
    public static SmartInitializingSingleton gptqEagerLoading(ObjectProvider<GptqModelLoader> loader,
                                                              ObjectProvider<GptqProperties> properties) {
        return () -> {
            if (properties.getObject().loading() == GptqProperties.Loading.EAGER) loader.getObject().engine();
        };
    }

    /** Never closed here: it runs on the shared engine, which the loader closes. */
    @Bean(destroyMethod = "")
    @ConditionalOnBean(Engine.class)
    @ConditionalOnMissingBean(GptqChatModel.class)
    public GptqChatModel gptqChatModel(ObjectProvider<Engine> engine, ObjectProvider<GptqModelLoader> loader,
                                       GptqProperties properties, GptqChatModelProperties model,
                                       ObjectProvider<ChatModelListener> listeners) {
        return LazyBean.of(GptqChatModel.class, properties.loading(),
                () -> configure(GptqChatModel.builder(), engine, loader, model, listeners).build());
    }

    @Bean(destroyMethod = "")
    @ConditionalOnBean(Engine.class)
    @ConditionalOnMissingBean(GptqStreamingChatModel.class)
    public GptqStreamingChatModel gptqStreamingChatModel(ObjectProvider<Engine> engine,
                                                         ObjectProvider<GptqModelLoader> loader,
                                                         GptqProperties properties, GptqChatModelProperties model,
                                                         ObjectProvider<ChatModelListener> listeners) {
        return LazyBean.of(GptqStreamingChatModel.class, properties.loading(),
                () -> configure(GptqStreamingChatModel.builder(), engine, loader, model, listeners).build());
    }

    /**
     * Counts tokens as the chat models render prompts: the engine's tokenizer and the same chat template. Lazy like
     * the chat models: with {@code loading=lazy} the model loads on the first count.
     */
    @Bean
    @ConditionalOnBean(Engine.class)
    @ConditionalOnMissingBean(TokenCountEstimator.class)
    public TokenCountEstimator gptqTokenCountEstimator(ObjectProvider<Engine> engine,
                                                       ObjectProvider<GptqModelLoader> loader,
                                                       GptqProperties properties, GptqChatModelProperties model) {
        return LazyBean.of(TokenCountEstimator.class, properties.loading(), () -> {
            Engine loaded = engine.getObject();
            return new GptqTokenCountEstimator(loaded.tokenizer(), chatTemplate(modelFolder(loader, model), model));
        });
    }

    /** The settings both chat models share. */
    private static <B extends EngineBuilder<?, B>> B configure(B builder, ObjectProvider<Engine> engine,
                                                               ObjectProvider<GptqModelLoader> loader,
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
        Optional<Path> folder = modelFolder(loader, model);
        folder.ifPresent(builder::modelPath);
        return builder.chatTemplate(chatTemplate(folder, model));
    }

    /** The model's folder: where the loader loaded it from (call after the engine exists), else {@code model-path}. */
    private static Optional<Path> modelFolder(ObjectProvider<GptqModelLoader> loader, GptqChatModelProperties model) {
        GptqModelLoader ours = loader.getIfAvailable();
        return ours != null ? ours.modelFolder() : Optional.ofNullable(model.modelPath());
    }

    /**
     * The one chat template of the chat models and the token counter: {@code chat-template} if set, else the model
     * folder's {@code chat_template}, else {@code raw}.
     */
    private static ChatTemplate chatTemplate(Optional<Path> folder, GptqChatModelProperties model) {
        if (model.chatTemplate() != null) return ChatTemplates.named(model.chatTemplate());
        return folder.map(ChatTemplates::forModelFolder).orElseGet(() -> ChatTemplates.named(ChatTemplates.RAW));
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
