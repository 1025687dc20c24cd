package org.gptq4j.langchain4j.it;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelIT;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import java.util.List;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.gptq4j.langchain4j.GptqChatResponseMetadata;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * LangChain4j's shared {@link ChatModel} suite on the real engine and the stories model's own answers; the tests
 * that need knowledge the model lacks are listed in {@link TinyModelExclusions} and run in
 * {@link ScriptedGptqChatModelIT}.
 */
@ExtendWith(TinyModelExclusions.class)
class GptqChatModelIT extends AbstractChatModelIT {

    static GptqChatModel.GptqChatModelBuilder builder() {
        return GptqChatModel.builder().engine(SharedEngine.SUITE_ENGINE)
                .modelName(SharedEngine.SUITE_MODEL_NAME).seed(42L);
    }

    /** The builder of the models under test. */
    GptqChatModel.GptqChatModelBuilder modelBuilder() {
        return builder();
    }

    @Override
    protected List<ChatModel> models() {
        return List.of(modelBuilder().build());
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        return modelBuilder().defaultRequestParameters(parameters).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return GptqChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(ChatModel model) {
        return GptqChatResponseMetadata.class;
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return false; // one model per engine: any other name is refused
    }

    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return false;
    }
}
