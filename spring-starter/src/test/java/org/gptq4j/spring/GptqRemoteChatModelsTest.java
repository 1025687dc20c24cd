package org.gptq4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.util.Map;
import org.gptq4j.engine.Engine;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The conditions of {@code chat-model.base-url}: OpenAI client beans, nothing loaded here, a clear failure without the client. */
class GptqRemoteChatModelsTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GptqAutoConfiguration.class))
            .withPropertyValues("langchain4j.gptq.chat-model.base-url=http://127.0.0.1:9/v1",
                    "langchain4j.gptq.chat-model.repo=TheBloke/firefly-llama2-7B-chat-GPTQ");

    @Test
    void withABaseUrlTheChatModelsAreTheOpenAiClientAndNoModelIsLoaded() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(GptqModelLoader.class).doesNotHaveBean(Engine.class)
                    .doesNotHaveBean(TokenCountEstimator.class).doesNotHaveBean(GptqDrain.class);
            assertThat(context.getBean(ChatModel.class)).isInstanceOf(OpenAiChatModel.class);
            assertThat(context.getBean(StreamingChatModel.class)).isInstanceOf(OpenAiStreamingChatModel.class);
            assertThat(context.getBean(ChatModel.class).defaultRequestParameters().modelName())
                    .as("vLLM's default served model name: the repository id")
                    .isEqualTo("TheBloke/firefly-llama2-7B-chat-GPTQ");
        });
    }

    @Test
    void topKAndTheRepetitionPenaltyAreExtraFieldsOnlyWhenTheyDoSomething() {
        runner.run(context -> assertThat(GptqRemoteChatModels.extraFields(context.getBean(GptqChatModelProperties.class)))
                .isEqualTo(Map.of("top_k", 40, "repetition_penalty", 1.1)));
        runner.withPropertyValues("langchain4j.gptq.chat-model.top-k=0", "langchain4j.gptq.chat-model.repetition-penalty=1")
                .run(context -> assertThat(GptqRemoteChatModels.extraFields(
                        context.getBean(GptqChatModelProperties.class))).isEmpty());
    }

    @Test
    void withoutTheOpenAiClientStartupFailsNamingTheDependency() {
        runner.withClassLoader(new FilteredClassLoader(OpenAiChatModel.class)).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(GptqPropertyException.class)
                    .hasMessageContaining("langchain4j.gptq.chat-model.base-url")
                    .hasMessageContaining("dev.langchain4j:langchain4j-open-ai");
        });
    }

    @Test
    void aBaseUrlThatIsNotHttpFailsStartupNamingTheProperty() {
        runner.withPropertyValues("langchain4j.gptq.chat-model.base-url=ftp://host/v1").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().isInstanceOf(GptqPropertyException.class)
                    .hasMessageContaining("langchain4j.gptq.chat-model.base-url");
        });
    }
}
