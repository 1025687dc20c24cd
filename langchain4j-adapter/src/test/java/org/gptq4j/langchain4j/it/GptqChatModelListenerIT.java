package org.gptq4j.langchain4j.it;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import java.util.List;

/** LangChain4j's shared listener suite on the real engine; the failing model has a 4-token context window. */
class GptqChatModelListenerIT extends AbstractChatModelListenerIT {

    @Override
    protected ChatModel createModel(ChatModelListener listener) {
        return GptqChatModelIT.builder().temperature(temperature()).topP(topP()).maxOutputTokens(maxTokens())
                .listeners(List.of(listener)).build();
    }

    @Override
    protected String modelName() {
        return SharedEngine.SUITE_MODEL_NAME;
    }

    @Override
    protected ChatModel createFailingModel(ChatModelListener listener) {
        return GptqChatModelIT.builder().maxContextTokens(4).listeners(List.of(listener)).build();
    }

    @Override
    protected Class<? extends Exception> expectedExceptionClass() {
        return InvalidRequestException.class;
    }
}
