package org.gptq4j.langchain4j.it;

import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.ScriptedBackend;

/**
 * LangChain4j's shared {@link dev.langchain4j.model.chat.ChatModel} suite, every test, on the real engine with the
 * answers that need world knowledge or instruction following scripted by {@link SuiteScript}: the engine still
 * generates them token by token through the chat template, the request's grammar, stop sequences and token budget,
 * and the adapter parses and assembles them (see {@link ScriptedBackend}). Apart from, and in addition to,
 * {@link GptqChatModelIT}, where the model answers by itself.
 */
class ScriptedGptqChatModelIT extends GptqChatModelIT implements ScriptedSuite {

    @Override
    GptqChatModel.GptqChatModelBuilder modelBuilder() {
        return ScriptedBackend.chatModel(SharedEngine.longContext(), SuiteScript.INSTANCE)
                .modelName(SharedEngine.MODEL_NAME).seed(42L);
    }
}
