package org.gptq4j.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineClosedException;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.langchain4j.GptqTokenCountEstimator;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/** Binding, conditions, back-off, listeners and lifecycle of {@link GptqAutoConfiguration}, on the stories260K fixture. */
class GptqAutoConfigurationTest {
    static final Path MODEL = Fixtures.model(Fixtures.STORIES, "main");
    static final String MODEL_PATH = "langchain4j.gptq.chat-model.model-path=" + MODEL;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GptqAutoConfiguration.class))
            .withPropertyValues("langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=2MB",
                    "langchain4j.gptq.chat-model.max-new-tokens=8");

    private static ChatResponse chat(ChatModel model) {
        return model.chat(ChatRequest.builder().messages(UserMessage.from("Once upon"))
                .parameters(GptqChatRequestParameters.builder().temperature(0.0).build()).build());
    }

    /** The metrics snapshot is refreshed after the engine's step, just after the caller got its answer. */
    static void awaitCompleted(Engine engine, long requests) {
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(engine.metrics().requestsCompleted()).isEqualTo(requests));
    }

    @Test
    void withoutAModelNothingIsCreated() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(GptqModelLoader.class).doesNotHaveBean(Engine.class)
                    .doesNotHaveBean(ChatModel.class).doesNotHaveBean(StreamingChatModel.class)
                    .doesNotHaveBean(TokenCountEstimator.class);
            assertThat(context.getBean(GptqChatModelProperties.class).temperature()).isEqualTo(0.7);
        });
    }

    @Test
    void bindsEveryPropertyOntoTheEngineAndTheModels() {
        runner.withPropertyValues(MODEL_PATH, "langchain4j.gptq.kv-cache-memory=1MB",
                "langchain4j.gptq.max-total-tokens=128", "langchain4j.gptq.max-input-length=100",
                "langchain4j.gptq.max-queued-requests=3", "langchain4j.gptq.queue-timeout=5s",
                "langchain4j.gptq.max-concurrent-sequences=2", "langchain4j.gptq.max-batch-prefill-tokens=32",
                "langchain4j.gptq.chat-model.temperature=0.3", "langchain4j.gptq.chat-model.top-p=0.5",
                "langchain4j.gptq.chat-model.top-k=7", "langchain4j.gptq.chat-model.repetition-penalty=1.3",
                "langchain4j.gptq.chat-model.seed=42", "langchain4j.gptq.chat-model.stop-sequences=END,STOP",
                "langchain4j.gptq.chat-model.chat-template=chatml", "langchain4j.gptq.chat-model.model-name=tiny")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    Engine engine = context.getBean(Engine.class);
                    assertThat(engine.limits().maxTotalTokens()).isEqualTo(128);
                    assertThat(engine.limits().maxInputLength()).isEqualTo(100);
                    assertThat(engine.limits().maxQueuedRequests()).isEqualTo(3);
                    assertThat(engine.limits().queueTimeout()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(engine.limits().maxConcurrentSequences()).isEqualTo(2);
                    assertThat(engine.limits().maxBatchPrefillTokens()).isEqualTo(32);
                    // 5 layers x kvDim 32 x 16 positions x 2 (K,V) x 2 bytes (F16 on the native kernels; 4 for float32 on
                    // the Java ones) = 10 KiB a block: 1 MiB holds 102 (51)
                    int elementBytes = org.gptq4j.kernel.Kernels.of(engine.kernelOptions()).kvPrecision().bytes();
                    assertThat(engine.kvCacheBlocks()).isEqualTo((1 << 20) / (5 * 32 * 16 * 2 * elementBytes));
                    GptqChatModel chat = context.getBean(GptqChatModel.class);
                    GptqChatRequestParameters p = chat.defaultRequestParameters();
                    assertThat(p.temperature()).isEqualTo(0.3);
                    assertThat(p.topP()).isEqualTo(0.5);
                    assertThat(p.topK()).isEqualTo(7);
                    assertThat(p.repetitionPenalty()).isEqualTo(1.3);
                    assertThat(p.seed()).isEqualTo(42L);
                    assertThat(p.maxOutputTokens()).isEqualTo(8);
                    assertThat(p.stopSequences()).containsExactly("END", "STOP");
                    assertThat(p.modelName()).isEqualTo("tiny");
                    assertThat(chat.chatTemplate().getClass().getSimpleName()).containsIgnoringCase("chatml");
                    assertThat(context.getBean(GptqStreamingChatModel.class).defaultRequestParameters()).isEqualTo(p);
                });
    }

    @Test
    void eagerLoadingLoadsAtStartupAndOneEngineIsShared() {
        runner.withPropertyValues(MODEL_PATH).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(Engine.class).hasSingleBean(GptqChatModel.class)
                    .hasSingleBean(GptqStreamingChatModel.class);
            GptqModelLoader loader = context.getBean(GptqModelLoader.class);
            assertThat(loader.loadedEngine()).containsSame(context.getBean(Engine.class));
            assertThat(chat(context.getBean(ChatModel.class)).aiMessage().text()).isNotBlank();
            awaitCompleted(context.getBean(Engine.class), 1);
            assertThat(context.getBean(GptqChatModel.class).defaultRequestParameters().modelName())
                    .isEqualTo("main");
        });
    }

    @Test
    void eagerLoadingBuildsEveryBeanBehindItsProxyAtStartup() {
        runner.withPropertyValues(MODEL_PATH).run(context -> {
            assertThat(context).hasNotFailed();
            for (Class<?> type : List.of(GptqChatModel.class, GptqStreamingChatModel.class, TokenCountEstimator.class)) {
                Object bean = context.getBean(type);
                assertThat(((org.springframework.aop.target.AbstractLazyCreationTargetSource)
                        ((org.springframework.aop.framework.Advised) bean).getTargetSource()).isInitialized())
                        .as(type.getSimpleName()).isTrue();
            }
        });
        runner.withPropertyValues(MODEL_PATH, "langchain4j.gptq.loading=lazy").run(context -> assertThat(
                ((org.springframework.aop.target.AbstractLazyCreationTargetSource) ((org.springframework.aop.framework.Advised)
                        context.getBean(ChatModel.class)).getTargetSource()).isInitialized()).isFalse());
    }

    @Test
    void lazyLoadingWaitsForTheFirstRequest() {
        runner.withPropertyValues(MODEL_PATH, "langchain4j.gptq.loading=lazy").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(GptqChatModel.class);
            GptqModelLoader loader = context.getBean(GptqModelLoader.class);
            ChatModel chat = context.getBean(ChatModel.class);
            assertThat(loader.loadedEngine()).isEmpty();
            assertThat(chat(chat).aiMessage().text()).isNotBlank();
            assertThat(loader.loadedEngine()).isPresent();
        });
    }

    @Test
    void lazyLoadingWithoutAnyRequestNeverTouchesTheModel() {
        runner.withPropertyValues("langchain4j.gptq.chat-model.model-path=/no/such/model", "langchain4j.gptq.loading=lazy")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(ChatModel.class)
                            .hasSingleBean(TokenCountEstimator.class);
                    assertThat(context.getBean(GptqModelLoader.class).loadedEngine()).isEmpty();
                });
    }

    @Test
    void closingTheContextClosesTheEngine() {
        Engine[] engine = new Engine[1];
        runner.withPropertyValues(MODEL_PATH).run(context -> engine[0] = context.getBean(Engine.class));
        assertThatThrownBy(() -> engine[0].submit(GenerationRequest.of(new int[] {1}, SamplingParameters.greedy()),
                new org.gptq4j.engine.GenerationListener() {})).isInstanceOf(EngineClosedException.class);
    }

    /**
     * Gated on our own configuration, as LangChain4j's starters are: another provider's starter beans beside ours
     * (here LangChain4j's OpenAI models, registered as its starter does) change nothing, for both models alike.
     */
    @Test
    void anotherProvidersStarterBeansLeaveBothOfOurModelsInPlace() {
        runner.withPropertyValues(MODEL_PATH).withConfiguration(AutoConfigurations.of(OtherProviderStarter.class))
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(GptqChatModel.class)
                            .hasSingleBean(GptqStreamingChatModel.class)
                            .hasSingleBean(dev.langchain4j.model.openai.OpenAiChatModel.class)
                            .hasSingleBean(dev.langchain4j.model.openai.OpenAiStreamingChatModel.class);
                    assertThat(context.getBeansOfType(ChatModel.class)).hasSize(2);
                    assertThat(context.getBeansOfType(StreamingChatModel.class)).hasSize(2);
                });
        runner.withConfiguration(AutoConfigurations.of(OtherProviderStarter.class)).run(context ->
                assertThat(context).hasNotFailed().doesNotHaveBean(GptqChatModel.class)
                        .doesNotHaveBean(GptqStreamingChatModel.class));
    }

    /** Backs off only from the application's own GptqChatModel; any other ChatModel bean stays beside ours. */
    @Test
    void backsOffFromTheApplicationsOwnGptqChatModelOnly() {
        runner.withPropertyValues(MODEL_PATH).withUserConfiguration(OwnChatModel.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(GptqChatModel.class)
                    .hasSingleBean(GptqStreamingChatModel.class);
            assertThat(context.getBeansOfType(ChatModel.class)).containsValue(OwnChatModel.MODEL).hasSize(2);
        });
        runner.withPropertyValues(MODEL_PATH).withUserConfiguration(OwnGptqChatModel.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(GptqChatModel.class)
                    .hasSingleBean(GptqStreamingChatModel.class);
            assertThat(context.getBean(GptqChatModel.class)).isSameAs(context.getBean("ownGptqChatModel"));
        });
    }

    /** Registers models as LangChain4j's OpenAI starter does: on its own property, no back-off condition. */
    @org.springframework.boot.autoconfigure.AutoConfiguration
    static class OtherProviderStarter {
        @Bean
        dev.langchain4j.model.openai.OpenAiChatModel openAiChatModel() {
            return dev.langchain4j.model.openai.OpenAiChatModel.builder().baseUrl("http://127.0.0.1:9/v1").apiKey("k")
                    .modelName("gpt-4o-mini").build();
        }

        @Bean
        dev.langchain4j.model.openai.OpenAiStreamingChatModel openAiStreamingChatModel() {
            return dev.langchain4j.model.openai.OpenAiStreamingChatModel.builder().baseUrl("http://127.0.0.1:9/v1")
                    .apiKey("k").modelName("gpt-4o-mini").build();
        }
    }

    static class OwnGptqChatModel {
        @Bean
        GptqChatModel ownGptqChatModel(Engine engine) {
            return GptqChatModel.builder().engine(engine).modelPath(MODEL).modelName("mine").build();
        }
    }

    @Test
    void runsTheChatModelsOnTheApplicationsEngine() {
        runner.withUserConfiguration(OwnEngine.class).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(GptqModelLoader.class).hasSingleBean(Engine.class)
                    .hasSingleBean(GptqChatModel.class).hasSingleBean(TokenCountEstimator.class);
            chat(context.getBean(ChatModel.class));
            awaitCompleted(context.getBean(Engine.class), 1);
        });
    }

    @Test
    void tokenCountEstimatorCountsThePromptAsTheChatModelRendersIt() {
        runner.withPropertyValues(MODEL_PATH, "langchain4j.gptq.chat-model.chat-template=firefly").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(TokenCountEstimator.class);
            TokenCountEstimator estimator = context.getBean(TokenCountEstimator.class);
            List<ChatMessage> messages = List.of(UserMessage.from("Once upon"));
            int counted = estimator.estimateTokenCountInMessages(messages);
            assertThat(counted).isEqualTo(chat(context.getBean(ChatModel.class)).tokenUsage().inputTokenCount());
            GptqTokenCountEstimator raw = new GptqTokenCountEstimator(context.getBean(Engine.class).tokenizer(),
                    ChatTemplates.named(ChatTemplates.RAW));
            assertThat(counted).as("the configured template, not raw").isGreaterThan(raw.estimateTokenCountInMessages(messages));
        });
    }

    @Test
    void lazyTokenCountEstimatorLoadsTheModelOnTheFirstCount() {
        runner.withPropertyValues(MODEL_PATH, "langchain4j.gptq.loading=lazy").run(context -> {
            assertThat(context).hasNotFailed();
            GptqModelLoader loader = context.getBean(GptqModelLoader.class);
            TokenCountEstimator estimator = context.getBean(TokenCountEstimator.class);
            assertThat(loader.loadedEngine()).isEmpty();
            int counted = estimator.estimateTokenCountInText("Once upon a time");
            assertThat(loader.loadedEngine()).hasValueSatisfying(engine -> assertThat(counted)
                    .isEqualTo(engine.tokenizer().encode("Once upon a time").length));
        });
    }

    @Test
    void backsOffFromTheApplicationsTokenCountEstimator() {
        runner.withPropertyValues(MODEL_PATH).withUserConfiguration(OwnTokenCountEstimator.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(TokenCountEstimator.class)
                    .doesNotHaveBean(GptqTokenCountEstimator.class).hasSingleBean(GptqChatModel.class);
            assertThat(context.getBean(TokenCountEstimator.class).estimateTokenCountInText("anything")).isEqualTo(42);
        });
    }

    @Test
    void everyChatModelListenerBeanHearsBothModelsInOrder() {
        runner.withPropertyValues(MODEL_PATH).withUserConfiguration(Listeners.class).run(context -> {
            assertThat(context).hasNotFailed();
            Listeners listeners = context.getBean(Listeners.class);
            assertThat(context.getBean(GptqChatModel.class).listeners()).containsExactly(listeners.first(), listeners.second());
            assertThat(context.getBean(GptqStreamingChatModel.class).listeners()).hasSize(2);
            chat(context.getBean(ChatModel.class));
            assertThat(Listeners.EVENTS).containsExactly("first:request", "second:request", "first:response",
                    "second:response");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnChatModel {
        static final ChatModel MODEL = new ChatModel() {
            @Override
            public ChatResponse doChat(ChatRequest request) {
                return ChatResponse.builder().aiMessage(dev.langchain4j.data.message.AiMessage.from("mine")).build();
            }
        };

        @Bean
        ChatModel myChatModel() {
            return MODEL;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnTokenCountEstimator {
        @Bean
        TokenCountEstimator myTokenCountEstimator() {
            return new TokenCountEstimator() {
                @Override
                public int estimateTokenCountInText(String text) {
                    return 42;
                }

                @Override
                public int estimateTokenCountInMessage(ChatMessage message) {
                    return 42;
                }

                @Override
                public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
                    return 42;
                }
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnEngine {
        @Bean
        Engine myEngine() {
            return Engine.builder().modelPath(MODEL).threads(1).kvCacheBlocks(64).build();
        }
    }

    @Configuration
    static class Listeners {
        static final List<String> EVENTS = new CopyOnWriteArrayList<>();

        Listeners() {
            EVENTS.clear();
        }

        @Bean
        @Order(2)
        ChatModelListener second() {
            return recording("second");
        }

        @Bean
        @Order(1)
        ChatModelListener first() {
            return recording("first");
        }

        private static ChatModelListener recording(String name) {
            return new ChatModelListener() {
                @Override
                public void onRequest(ChatModelRequestContext context) {
                    EVENTS.add(name + ":request");
                }

                @Override
                public void onResponse(ChatModelResponseContext context) {
                    EVENTS.add(name + ":response");
                }
            };
        }
    }
}
