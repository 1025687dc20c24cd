package org.gptq4j.langchain4j.template;

import org.gptq4j.tokenizer.Tokenizer;

/**
 * The model card's raw {@code {prompt}} template, for base (non-chat) models: BOS, then the text of every
 * message, one per line, which the model simply continues.
 */
final class RawPromptTemplate implements ChatTemplate {

    @Override
    public String name() {
        return ChatTemplates.RAW;
    }

    @Override
    public RenderedPrompt render(Conversation conversation, Tokenizer tokenizer) {
        StringBuilder text = new StringBuilder();
        String system = TurnTexts.system(conversation);
        if (system != null) text.append(system);
        for (Turn turn : conversation.dialogue()) {
            if (!text.isEmpty()) text.append('\n');
            text.append(turn.role() == Turn.Role.ASSISTANT ? TurnTexts.assistant(turn) : TurnTexts.input(turn));
        }
        return new PromptWriter(tokenizer).bos().text(text.toString()).toPrompt();
    }
}
