package org.gptq4j.spring.suite;

import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.langchain4j.ScriptedBackend;
import org.gptq4j.langchain4j.it.SharedEngine;
import org.gptq4j.langchain4j.it.SuiteScript;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The starter's application with its OpenAI-compatible endpoint, serving chat models on the starter's own engine
 * whose knowledge-bound answers LangChain4j's suites ask for are scripted ({@link SuiteScript}, as in the adapter's
 * {@code Scripted*IT}): the engine still generates them under each request's grammar, stop sequences and budget.
 */
@SpringBootApplication
public class ScriptedSuiteApplication {
    static final String MODEL_NAME = "stories";

    /** The properties of the suites' application: the fixture with the longer context the two-tool prompts need. */
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("langchain4j.gptq.chat-model.model-path", () -> SharedEngine.longContextModel().toString());
        registry.add("langchain4j.gptq.chat-model.model-name", () -> MODEL_NAME);
        registry.add("langchain4j.gptq.threads", () -> "1");
        registry.add("langchain4j.gptq.server.enabled", () -> "true");
    }

    @Bean(destroyMethod = "")
    GptqChatModel scriptedChatModel(Engine engine) {
        return ScriptedBackend.chatModel(engine, SuiteScript.INSTANCE).modelName(MODEL_NAME).seed(42L).build();
    }

    @Bean(destroyMethod = "")
    GptqStreamingChatModel scriptedStreamingChatModel(Engine engine) {
        return ScriptedBackend.streamingChatModel(engine, SuiteScript.INSTANCE).modelName(MODEL_NAME).seed(42L).build();
    }
}
