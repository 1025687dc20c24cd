package org.gptq4j.langchain4j.it;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import java.util.List;

/** LangChain4j's shared streaming listener suite on the real engine. */
class GptqStreamingChatModelListenerIT extends AbstractStreamingChatModelListenerIT {

    @Override
    protected StreamingChatModel createModel(ChatModelListener listener) {
        return GptqStreamingChatModelIT.builder().temperature(temperature()).topP(topP()).maxOutputTokens(maxTokens())
                .listeners(List.of(listener)).build();
    }

    @Override
    protected String modelName() {
        return SharedEngine.SUITE_MODEL_NAME;
    }

    @Override
    protected StreamingChatModel createFailingModel(ChatModelListener listener) {
        return GptqStreamingChatModelIT.builder().maxContextTokens(4).listeners(List.of(listener)).build();
    }

    @Override
    protected Class<? extends Exception> expectedExceptionClass() {
        return InvalidRequestException.class;
    }
}
