package org.gptq4j.langchain4j.template;

/**
 * A model's Jinja chat template refused a conversation ({@code raise_exception}), could not render it, or was
 * itself refused: a syntax error, a feature a chat template may not use (reading other templates or files, a
 * filter, function or method outside the sandbox), or a {@link TemplateLimits} bound ({@link TemplateLimitException}).
 * An {@link IllegalArgumentException}, so that callers treat it as a bad request (the OpenAI endpoint answers 400);
 * the message says what and where, never the content of anything outside the template and the conversation.
 */
public class ChatTemplateException extends IllegalArgumentException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
