package org.gptq4j.langchain4j.template;

import org.gptq4j.tokenizer.Tokenizer;

/**
 * ChatML: {@code <|im_start|>{role}\n{text}<|im_end|>\n} per turn, then {@code <|im_start|>assistant\n};
 * tool results in a {@code tool} turn. Needs {@code <|im_start|>} and {@code <|im_end|>} as special tokens.
 */
final class ChatMlTemplate implements ChatTemplate {
    static final String START = "<|im_start|>";
    static final String END = "<|im_end|>";

    @Override
    public String name() {
        return ChatTemplates.CHATML;
    }

    @Override
    public RenderedPrompt render(Conversation conversation, Tokenizer tokenizer) {
        PromptWriter out = new PromptWriter(tokenizer).stopAt(END);
        String system = TurnTexts.system(conversation);
        if (system != null) turn(out, "system", system);
        for (Turn turn : conversation.dialogue()) {
            switch (turn.role()) {
                case USER -> turn(out, "user", turn.text());
                case TOOL -> turn(out, "tool", TurnTexts.input(turn));
                case ASSISTANT -> turn(out, "assistant", TurnTexts.assistant(turn));
                case SYSTEM -> throw new IllegalStateException("system turns are rendered first");
            }
        }
        return out.special(START).text("assistant\n").toPrompt();
    }

    private static void turn(PromptWriter out, String role, String text) {
        out.special(START).text(role + "\n" + text).special(END).text("\n");
    }
}
