package org.gptq4j.langchain4j.it;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.junit.jupiter.api.extension.ExtendWith;

/** LangChain4j's shared {@link StreamingChatModel} suite on the real engine. */
@ExtendWith(TinyModelExclusions.class)
class GptqStreamingChatModelIT extends AbstractStreamingChatModelIT {

    static GptqStreamingChatModel.GptqStreamingChatModelBuilder builder() {
        return GptqStreamingChatModel.builder().engine(SharedEngine.ENGINE)
                .modelName(SharedEngine.MODEL_NAME).seed(42L);
    }

    @Override
    protected List<StreamingChatModel> models() {
        return List.of(builder().build());
    }

    @Override
    public StreamingChatModel createModelWith(ChatModelListener listener) {
        return builder().listeners(List.of(listener)).build();
    }

    @Override
    protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
        return builder().defaultRequestParameters(parameters).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return GptqChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return false;
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
