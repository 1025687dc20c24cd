package org.gptq4j.langchain4j.template;

import org.gptq4j.tokenizer.Tokenizer;

/**
 * Firefly (YeungNLP's firefly-llama2 chat models): {@code <s>{user}</s>{answer}</s>{user}</s>}, one BOS,
 * then every user turn and every answer closed by EOS; the answer starts right after the last user's EOS.
 * Firefly has no system slot: the system text opens the first user turn, followed by a blank line.
 */
final class FireflyChatTemplate implements ChatTemplate {

    @Override
    public String name() {
        return ChatTemplates.FIREFLY;
    }

    @Override
    public RenderedPrompt render(Conversation conversation, Tokenizer tokenizer) {
        PromptWriter out = new PromptWriter(tokenizer).bos();
        String system = TurnTexts.system(conversation);
        String pendingSystem = system == null ? "" : system + "\n\n";
        for (Turn turn : conversation.dialogue()) {
            if (turn.role() == Turn.Role.ASSISTANT) {
                out.text(TurnTexts.assistant(turn)).eos();
            } else {
                out.text(pendingSystem + TurnTexts.input(turn)).eos();
                pendingSystem = "";
            }
        }
        if (!pendingSystem.isEmpty()) out.text(pendingSystem.strip()).eos();
        return out.toPrompt();
    }
}
