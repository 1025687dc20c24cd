package org.gptq4j.langchain4j;

import java.util.OptionalInt;
import org.gptq4j.tokenizer.StreamingDecoder;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * The tokenizer one request's prompt is rendered with: before each {@link #encode} it adds the text's
 * {@link Tokenizer#minTokenCount} to the tokens encoded so far and, when the prompt can no longer leave room in the
 * context window, refuses it with the prompt-length error, without encoding the text. A multi-megabyte message is
 * thus refused in time linear in its length instead of after seconds of merging. Everything else is the model's
 * tokenizer's. One instance per rendering.
 */
final class PromptBudgetTokenizer implements Tokenizer {
    private final Tokenizer tokenizer;
    private final int contextLength;
    private long encoded;

    PromptBudgetTokenizer(Tokenizer tokenizer, int contextLength) {
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
    }

    @Override
    public int[] encode(String text) {
        long atLeast = encoded + tokenizer.minTokenCount(text);
        if (atLeast >= contextLength) throw RequestPlanner.noRoom("at least " + atLeast, contextLength);
        int[] ids = tokenizer.encode(text);
        encoded += ids.length;
        return ids;
    }

    @Override
    public int minTokenCount(String text) {
        return tokenizer.minTokenCount(text);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return tokenizer.encodeWithSpecialTokens(text);
    }

    @Override
    public int vocabSize() {
        return tokenizer.vocabSize();
    }

    @Override
    public int bosId() {
        return tokenizer.bosId();
    }

    @Override
    public int eosId() {
        return tokenizer.eosId();
    }

    @Override
    public int unkId() {
        return tokenizer.unkId();
    }

    @Override
    public String decode(int[] ids) {
        return tokenizer.decode(ids);
    }

    @Override
    public String piece(int id) {
        return tokenizer.piece(id);
    }

    @Override
    public String pieceText(int id) {
        return tokenizer.pieceText(id);
    }

    @Override
    public OptionalInt id(String piece) {
        return tokenizer.id(piece);
    }

    @Override
    public boolean isSpecial(int id) {
        return tokenizer.isSpecial(id);
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        return tokenizer.newStreamingDecoder();
    }
}
