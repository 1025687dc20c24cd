package org.gptq4j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.TokenCountEstimator;
import java.util.ArrayList;
import java.util.List;
import org.gptq4j.langchain4j.template.ChatTemplate;
import org.gptq4j.langchain4j.template.Conversation;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * A {@link TokenCountEstimator} backed by the model's own tokenizer and chat template, e.g. for
 * {@code TokenWindowChatMemory}:
 * <ul>
 *   <li>{@link #estimateTokenCountInText} is the exact number of tokens of the text;</li>
 *   <li>{@link #estimateTokenCountInMessages} is the exact length of the prompt the messages render to, the
 *       template's special tokens and generation prompt included: the {@code inputTokenCount} a request with
 *       these messages (and no tools) reports;</li>
 *   <li>{@link #estimateTokenCountInMessage} is what one message adds to a prompt: its rendering alone, less
 *       the rendering of an empty conversation, and never less than the tokens of its text. Templates frame
 *       turns differently in context (Llama-2 shares one {@code [INST]} block between a user turn and the
 *       answer), so this is an estimate within a few tokens.</li>
 * </ul>
 * Get one from a model ({@code model.tokenCountEstimator()}) or build it from a tokenizer and a template.
 * Thread-safe.
 */
public final class GptqTokenCountEstimator implements TokenCountEstimator {
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final int emptyPromptLength;

    /**
     * @param tokenizer the model's tokenizer (e.g. {@code engine.tokenizer()})
     * @param template  the chat template the model renders conversations with
     */
    public GptqTokenCountEstimator(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.emptyPromptLength = emptyPromptLength(tokenizer, template);
    }

    private static int emptyPromptLength(Tokenizer tokenizer, ChatTemplate template) {
        try {
            return template.render(new Conversation(List.of(), List.of()), tokenizer).length();
        } catch (IllegalArgumentException e) {
            return 0; // a Jinja template that refuses an empty conversation: count whole renderings
        }
    }

    @Override
    public int estimateTokenCountInText(String text) {
        return tokenizer.encode(text).length;
    }

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        Conversation alone = ConversationMapper.toConversation(List.of(message), List.of());
        int textTokens = alone.turns().stream().mapToInt(turn -> tokenizer.encode(turn.text()).length).sum();
        return Math.max(template.render(alone, tokenizer).length() - emptyPromptLength, textTokens);
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        List<ChatMessage> list = new ArrayList<>();
        messages.forEach(list::add);
        return render(list);
    }

    private int render(List<ChatMessage> messages) {
        return template.render(ConversationMapper.toConversation(messages, List.of()), tokenizer).length();
    }
}
