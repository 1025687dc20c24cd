package org.gptq4j.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.gptq4j.tokenizer.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The builders' {@code logRequests} and {@code logResponses}, as LangChain4j's Ollama and OpenAI models have them: each
 * request at INFO as the engine receives it (the chat request with its parameters, then the prompt the chat template
 * rendered, its token count and text), each response at INFO (the chat response: message, tool calls, usage, finish
 * reason), and a streamed answer's partial responses at DEBUG, as those modules log stream events. There is nothing
 * to redact: an in-process model has no API key, headers or URL; what the log holds is the conversation itself, which
 * is why both options are off by default.
 */
final class ExchangeLog {
    /** The logger used unless the builder's {@code logger(...)} gives another. */
    static final Logger DEFAULT_LOGGER = LoggerFactory.getLogger(ExchangeLog.class);

    private final boolean requests;
    private final boolean responses;
    private final Logger log;
    private final Tokenizer tokenizer;

    ExchangeLog(boolean requests, boolean responses, Logger log, Tokenizer tokenizer) {
        this.requests = requests;
        this.responses = responses;
        this.log = log == null ? DEFAULT_LOGGER : log;
        this.tokenizer = tokenizer;
    }

    void request(ChatRequest request, GenerationPlan plan) {
        if (!requests) return;
        log.info("""
                gptq4j request:
                - model: {}
                - chat request: {}
                - prompt tokens: {}
                - prompt: {}""", plan.modelName(), request, plan.promptTokenIds().length,
                tokenizer.decode(plan.promptTokenIds()));
    }

    void partial(String text) {
        if (responses) log.debug("gptq4j partial response: {}", text);
    }

    void response(ChatResponse response) {
        if (responses) log.info("gptq4j response:\n- chat response: {}", response);
    }
}
