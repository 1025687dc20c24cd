package org.gptq4j.langchain4j.template;

import org.gptq4j.tokenizer.Tokenizer;

/**
 * Turns a conversation into prompt tokens the way a model was fine-tuned to read it.
 *
 * <p>Implementations put special tokens (BOS, EOS, {@code <|im_start|>}...) into the prompt from the
 * template's own structure, by id; message text always goes through {@link Tokenizer#encode}, which never
 * produces special tokens, so a user who writes {@code "</s>"} or {@code "<|im_end|>"} can not end a turn or
 * forge one. Built-ins: {@link ChatTemplates#LLAMA_2}, {@link ChatTemplates#FIREFLY},
 * {@link ChatTemplates#CHATML}, {@link ChatTemplates#RAW}; a model folder's own Jinja
 * {@code chat_template} via {@link JinjaChatTemplate}.
 */
public interface ChatTemplate {

    /** The name this template is selected by. */
    String name();

    /** Renders the conversation, ending where the assistant's answer begins. */
    RenderedPrompt render(Conversation conversation, Tokenizer tokenizer);
}
