package org.gptq4j.spring.suite;

import static org.assertj.core.api.Assertions.catchThrowable;

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
import java.util.List;
import org.gptq4j.langchain4j.it.StreamedToolCalls;
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
        return OpenAiEndpointClients.streamingChatModel(port);
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
        ChatRequest request = OpenAiEndpointClients.unknownModelRequest();

        Throwable error = catchThrowable(() -> chat(model, request));
        // the suite's chat(...) wraps the handler's error twice
        OpenAiEndpointClients.assertModelNotFound(error.getCause().getCause());
    }

    @Override
    protected void verifyToolCallbacks(StreamingChatResponseHandler handler, InOrder io, String id) {
        StreamedToolCalls.verifyWeatherCall(handler, io, id);
    }

    @Override
    protected void verifyToolCallbacks(StreamingChatResponseHandler handler, InOrder io, String id1, String id2) {
        StreamedToolCalls.verifyWeatherThenTimeCalls(handler, io, id1, id2);
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
