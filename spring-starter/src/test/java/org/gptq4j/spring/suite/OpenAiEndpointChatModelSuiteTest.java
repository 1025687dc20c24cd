package org.gptq4j.spring.suite;

import static org.assertj.core.api.Assertions.catchThrowable;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelIT;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiChatResponseMetadata;
import dev.langchain4j.model.openai.OpenAiTokenUsage;
import dev.langchain4j.model.output.TokenUsage;
import java.util.List;
import org.junit.jupiter.api.condition.DisabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * LangChain4j's shared {@link ChatModel} suite through {@code /v1}, with LangChain4j's own {@link OpenAiChatModel} as
 * the client, as langchain4j-ollama runs it against Ollama's OpenAI API.
 */
@SpringBootTest(classes = ScriptedSuiteApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenAiEndpointChatModelSuiteTest extends AbstractChatModelIT {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        ScriptedSuiteApplication.properties(registry);
    }

    @Value("${local.server.port}")
    int port;

    private OpenAiChatModel.OpenAiChatModelBuilder client() {
        return OpenAiEndpointClients.chatModel(port);
    }

    @Override
    protected List<ChatModel> models() {
        return List.of(client().build());
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        return client().defaultRequestParameters(parameters).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return OpenAiChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(ChatModel model) {
        return OpenAiChatResponseMetadata.class;
    }

    @Override
    protected Class<? extends TokenUsage> tokenUsageType(ChatModel model) {
        return OpenAiTokenUsage.class;
    }

    /** OpenAI's answer for a model the server does not run: 404 {@code model_not_found}, which the client maps. */
    @Override
    @ParameterizedTest
    @MethodSource("models")
    @DisabledIf("supportsModelNameParameter")
    protected void should_fail_if_modelName_is_not_supported(ChatModel model) {
        ChatRequest request = OpenAiEndpointClients.unknownModelRequest();

        OpenAiEndpointClients.assertModelNotFound(catchThrowable(() -> model.chat(request)));
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
