package org.gptq4j.langchain4j.it;

import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.langchain4j.ScriptedBackend;

/**
 * LangChain4j's shared {@link dev.langchain4j.model.chat.StreamingChatModel} suite, every test, on the real engine
 * with the answers that need world knowledge or instruction following scripted by {@link SuiteScript}: generated
 * token by token through the chat template, grammar, stop sequences and token budget, then streamed with the
 * adapter's tool-call hold-back (see {@link ScriptedBackend}). Apart from, and in addition to,
 * {@link GptqStreamingChatModelIT}, where the model answers by itself.
 */
class ScriptedGptqStreamingChatModelIT extends GptqStreamingChatModelIT implements ScriptedSuite {

    @Override
    GptqStreamingChatModel.GptqStreamingChatModelBuilder modelBuilder() {
        return ScriptedBackend.streamingChatModel(SharedEngine.longContext(), SuiteScript.INSTANCE)
                .modelName(SharedEngine.MODEL_NAME).seed(42L);
    }
}
