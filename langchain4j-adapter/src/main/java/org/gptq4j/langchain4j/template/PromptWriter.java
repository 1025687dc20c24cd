package org.gptq4j.langchain4j.template;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * Builds a prompt from text and special tokens. Adjacent text is encoded together with
 * {@link Tokenizer#encode} (which never yields special tokens); special tokens are inserted by id. This is
 * the one place where templates meet the tokenizer.
 */
public final class PromptWriter {
    private final Tokenizer tokenizer;
    private final List<Integer> ids = new ArrayList<>();
    private final StringBuilder pendingText = new StringBuilder();
    private final Set<Integer> stopTokenIds = new LinkedHashSet<>();

    public PromptWriter(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        stopTokenIds.add(tokenizer.eosId());
    }

    /** Appends plain text; it can never become a special token. */
    public PromptWriter text(String text) {
        pendingText.append(text);
        return this;
    }

    /** Appends the beginning-of-sequence token. */
    public PromptWriter bos() {
        return token(tokenizer.bosId());
    }

    /** Appends the end-of-sequence token. */
    public PromptWriter eos() {
        return token(tokenizer.eosId());
    }

    /** Appends the special token spelled {@code piece}; fails if the vocabulary lacks it. */
    public PromptWriter special(String piece) {
        return token(specialId(tokenizer, piece));
    }

    /** Also ends the assistant's turn at the special token {@code piece}. */
    public PromptWriter stopAt(String piece) {
        stopTokenIds.add(specialId(tokenizer, piece));
        return this;
    }

    /** Also ends the assistant's turn at {@code tokenId}. */
    public PromptWriter stopAt(int tokenId) {
        stopTokenIds.add(tokenId);
        return this;
    }

    /** Appends a token by id. */
    public PromptWriter token(int id) {
        flushText();
        ids.add(id);
        return this;
    }

    /** The prompt written so far. */
    public RenderedPrompt toPrompt() {
        flushText();
        return new RenderedPrompt(ids.stream().mapToInt(Integer::intValue).toArray(), stopTokenIds);
    }

    private void flushText() {
        if (pendingText.isEmpty()) return;
        for (int id : tokenizer.encode(pendingText.toString())) ids.add(id);
        pendingText.setLength(0);
    }

    static int specialId(Tokenizer tokenizer, String piece) {
        OptionalInt id = tokenizer.id(piece);
        if (id.isEmpty() || !tokenizer.isSpecial(id.getAsInt())) {
            throw new IllegalArgumentException("the chat template needs the special token " + piece
                    + ", which this model's vocabulary does not have");
        }
        return id.getAsInt();
    }
}
