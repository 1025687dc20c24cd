package org.gptq4j.langchain4j.it;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelIT;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.junit.jupiter.api.extension.ExtendWith;

/** LangChain4j's shared {@link ChatModel} suite on the real engine. */
@ExtendWith(TinyModelExclusions.class)
class GptqChatModelIT extends AbstractChatModelIT {

    static GptqChatModel.GptqChatModelBuilder builder() {
        return GptqChatModel.builder().engine(SharedEngine.ENGINE)
                .modelName(SharedEngine.MODEL_NAME).seed(42L);
    }

    @Override
    protected List<ChatModel> models() {
        return List.of(builder().build());
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        return builder().defaultRequestParameters(parameters).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return GptqChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
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
