package org.gptq4j.spring.suite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.time.Duration;

/**
 * LangChain4j's own OpenAI clients pointed at the {@code /v1} endpoint of the running {@link ScriptedSuiteApplication},
 * as the {@code OpenAiEndpoint*SuiteTest}s use them, and what such a client must see when it asks for a model the
 * server does not run.
 */
final class OpenAiEndpointClients {
    /** Long enough for the suites' longest answers on one engine thread. */
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String UNKNOWN_MODEL = "dummy";

    private OpenAiEndpointClients() {}

    static OpenAiChatModel.OpenAiChatModelBuilder chatModel(int port) {
        return OpenAiChatModel.builder().baseUrl(baseUrl(port)).apiKey("unused")
                .modelName(ScriptedSuiteApplication.MODEL_NAME).timeout(TIMEOUT);
    }

    static OpenAiStreamingChatModel.OpenAiStreamingChatModelBuilder streamingChatModel(int port) {
        return OpenAiStreamingChatModel.builder().baseUrl(baseUrl(port)).apiKey("unused")
                .modelName(ScriptedSuiteApplication.MODEL_NAME).timeout(TIMEOUT);
    }

    /** The suite's question, asked of a model other than the served one. */
    static ChatRequest unknownModelRequest() {
        return ChatRequest.builder().messages(UserMessage.from("What is the capital of Germany?"))
                .parameters(ChatRequestParameters.builder().modelName(UNKNOWN_MODEL).build()).build();
    }

    /** OpenAI's answer for a model the server does not run: 404 {@code model_not_found}, which the client maps. */
    static void assertModelNotFound(Throwable error) {
        assertThat(error).isExactlyInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("model_not_found").hasMessageContaining(UNKNOWN_MODEL);
    }

    private static String baseUrl(int port) {
        return "http://127.0.0.1:" + port + "/v1";
    }
}
