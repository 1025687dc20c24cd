package org.gptq4j.langchain4j.template;

import org.gptq4j.tokenizer.Tokenizer;

/**
 * Llama-2-chat: {@code <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {answer} </s><s>[INST] {user} [/INST]}.
 * Consecutive user and tool turns share one {@code [INST]} block.
 */
final class Llama2ChatTemplate implements ChatTemplate {

    @Override
    public String name() {
        return ChatTemplates.LLAMA_2;
    }

    @Override
    public RenderedPrompt render(Conversation conversation, Tokenizer tokenizer) {
        PromptWriter out = new PromptWriter(tokenizer);
        String system = TurnTexts.system(conversation);
        boolean open = false; // inside an [INST] block
        boolean first = true;
        for (Turn turn : conversation.dialogue()) {
            if (turn.role() == Turn.Role.ASSISTANT) {
                if (open) out.text(" [/INST]");
                else if (first) out.bos();
                out.text(" " + TurnTexts.assistant(turn) + " ").eos();
                open = false;
            } else {
                if (open) {
                    out.text("\n" + TurnTexts.input(turn));
                } else {
                    out.bos().text("[INST] ");
                    if (first && system != null) out.text("<<SYS>>\n" + system + "\n<</SYS>>\n\n");
                    out.text(TurnTexts.input(turn));
                    open = true;
                }
            }
            first = false;
        }
        if (first) {
            out.bos().text("[INST] ");
            if (system != null) out.text("<<SYS>>\n" + system + "\n<</SYS>>\n\n");
            open = true;
        }
        if (open) out.text(" [/INST]");
        return out.toPrompt();
    }
}
