package org.gptq4j.langchain4j.it;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.List;
import org.gptq4j.langchain4j.GptqChatRequestParameters;
import org.gptq4j.langchain4j.GptqChatResponseMetadata;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.InOrder;

/**
 * LangChain4j's shared {@link StreamingChatModel} suite on the real engine and the stories model's own answers; the
 * tests that need knowledge the model lacks are listed in {@link TinyModelExclusions} and run in
 * {@link ScriptedGptqStreamingChatModelIT}.
 */
@ExtendWith(TinyModelExclusions.class)
class GptqStreamingChatModelIT extends AbstractStreamingChatModelIT {

    static GptqStreamingChatModel.GptqStreamingChatModelBuilder builder() {
        return GptqStreamingChatModel.builder().engine(SharedEngine.SUITE_ENGINE)
                .modelName(SharedEngine.SUITE_MODEL_NAME).seed(42L);
    }

    /** The builder of the models under test. */
    GptqStreamingChatModel.GptqStreamingChatModelBuilder modelBuilder() {
        return builder();
    }

    @Override
    protected List<StreamingChatModel> models() {
        return List.of(modelBuilder().build());
    }

    @Override
    public StreamingChatModel createModelWith(ChatModelListener listener) {
        return modelBuilder().listeners(List.of(listener)).build();
    }

    @Override
    protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
        return modelBuilder().defaultRequestParameters(parameters).build();
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return GptqChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(StreamingChatModel model) {
        return GptqChatResponseMetadata.class;
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
