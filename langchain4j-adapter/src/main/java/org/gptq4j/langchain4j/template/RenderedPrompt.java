package org.gptq4j.langchain4j.template;

import java.util.Set;

/**
 * A conversation rendered by a {@link ChatTemplate}: the prompt's token ids, ending where the assistant's
 * answer begins, and the tokens that end the assistant's turn.
 *
 * @param tokenIds     the prompt, BOS included where the template wants it
 * @param stopTokenIds the end-of-turn tokens (EOS, and e.g. {@code <|im_end|>} for ChatML)
 */
public record RenderedPrompt(int[] tokenIds, Set<Integer> stopTokenIds) {
    public RenderedPrompt {
        tokenIds = tokenIds.clone();
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    public int length() {
        return tokenIds.length;
    }
}
