package org.gptq4j.spring.suite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiChatResponseMetadata;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiTokenUsage;
import dev.langchain4j.model.output.TokenUsage;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.condition.DisabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mockito.InOrder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * LangChain4j's shared {@link StreamingChatModel} suite through {@code /v1} as server-sent events, with LangChain4j's
 * own {@link OpenAiStreamingChatModel} as the client.
 */
@SpringBootTest(classes = ScriptedSuiteApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenAiEndpointStreamingChatModelSuiteTest extends AbstractStreamingChatModelIT {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        ScriptedSuiteApplication.properties(registry);
    }

    @Value("${local.server.port}")
    int port;

    private OpenAiStreamingChatModel.OpenAiStreamingChatModelBuilder client() {
        return OpenAiStreamingChatModel.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("unused")
                .modelName(ScriptedSuiteApplication.MODEL_NAME).timeout(Duration.ofSeconds(60));
    }

    @Override
    protected List<StreamingChatModel> models() {
        return List.of(client().build());
    }

    @Override
    public StreamingChatModel createModelWith(ChatModelListener listener) {
        return client().listeners(List.of(listener)).build();
    }

    @Override
    protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
        return client().defaultRequestParameters(parameters).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return OpenAiChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(StreamingChatModel model) {
        return OpenAiChatResponseMetadata.class;
    }

    @Override
    protected Class<? extends TokenUsage> tokenUsageType(StreamingChatModel model) {
        return OpenAiTokenUsage.class;
    }

    /** OpenAI's answer for a model the server does not run: 404 {@code model_not_found}, which the client maps. */
    @Override
    @ParameterizedTest
    @MethodSource("models")
    @DisabledIf("supportsModelNameParameter")
    protected void should_fail_if_modelName_is_not_supported(StreamingChatModel model) {
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("What is the capital of Germany?"))
                .parameters(ChatRequestParameters.builder().modelName("dummy").build()).build();

        Throwable error = catchThrowable(() -> chat(model, request));
        Throwable notFound = error.getCause().getCause(); // the suite's chat(...) wraps the handler's error twice
        assertThat(notFound).isExactlyInstanceOf(ModelNotFoundException.class)
                .hasMessageContaining("model_not_found").hasMessageContaining("dummy");
    }

    /** Each call streams as one chunk with its whole arguments, then the complete call. */
    @Override
    protected void verifyToolCallbacks(StreamingChatResponseHandler handler, InOrder io, String id) {
        io.verify(handler).onPartialToolCall(eq(partial(0, id, "getWeather", "{\"city\":\"Munich\"}")), any());
        io.verify(handler).onCompleteToolCall(complete(0, id, "getWeather", "{\"city\":\"Munich\"}"));
    }

    @Override
    protected void verifyToolCallbacks(StreamingChatResponseHandler handler, InOrder io, String id1, String id2) {
        verifyToolCallbacks(handler, io, id1);
        io.verify(handler).onPartialToolCall(eq(partial(1, id2, "getTime", "{\"country\":\"France\"}")), any());
        io.verify(handler).onCompleteToolCall(complete(1, id2, "getTime", "{\"country\":\"France\"}"));
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return false; // one served model
    }

    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return false;
    }

    @Override
    protected boolean assertExceptionType() {
        return false; // refusals come back as HTTP errors, which the OpenAI client maps to its own exceptions
    }
}
