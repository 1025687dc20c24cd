package org.gptq4j.tokenizer;

/**
 * sentencepiece's {@code Decode}, one id at a time: "▁" becomes a space; the leading "▁" of the first piece
 * is dropped when the model adds a dummy prefix (of every leading piece when it removes extra whitespace);
 * runs of {@code <0xNN>} pieces are assembled into UTF-8, one U+FFFD per byte that starts no well-formed
 * character. Control and unknown pieces produce nothing. {@link SentencePieceTokenizer#decode} is this
 * decoder run over all the ids, so streaming and batch decoding cannot disagree.
 */
final class SentencePieceStreamingDecoder implements StreamingDecoder {
    private static final String SPACE_SYMBOL = String.valueOf(SentencePieceNormalizer.SPACE_SYMBOL);

    private final SentencePieceTokenizer tokenizer;
    private final boolean stripsLeadingSpace;
    private final PendingBytes bytes = new PendingBytes();
    /** Whether any text has been produced yet. */
    private boolean started;
    /** Whether the last non-byte piece had its leading "▁" dropped. */
    private boolean leadingSpaceDropped;
    /** Whether the next non-byte piece may still have its leading "▁" dropped. */
    private boolean atBeginning = true;

    SentencePieceStreamingDecoder(SentencePieceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.stripsLeadingSpace = tokenizer.addDummyPrefix() || tokenizer.removeExtraWhitespaces();
    }

    @Override
    public String push(int id) {
        tokenizer.checkId(id);
        var out = new StringBuilder();
        int b = tokenizer.byteValue(id);
        if (b >= 0) {
            bytes.add(b);
            bytes.drainComplete(out);
        } else {
            bytes.drainAll(out);
            started |= !out.isEmpty();
            appendPiece(id, out);
        }
        started |= !out.isEmpty();
        return out.toString();
    }

    @Override
    public String flush() {
        var out = new StringBuilder();
        bytes.drainAll(out);
        started |= !out.isEmpty();
        return out.toString();
    }

    /** sentencepiece's {@code DecodeSentencePiece} for a non-byte piece. */
    private void appendPiece(int id, StringBuilder out) {
        if (leadingSpaceDropped || started) atBeginning = false;
        if (tokenizer.isSpecial(id)) {
            leadingSpaceDropped = false;
            return;
        }
        String piece = tokenizer.piece(id);
        boolean dropped = false;
        if (atBeginning && stripsLeadingSpace && piece.startsWith(SPACE_SYMBOL)) {
            piece = piece.substring(SPACE_SYMBOL.length());
            // With extra whitespace removed, every leading space goes, not only the first.
            dropped = !tokenizer.removeExtraWhitespaces();
        }
        leadingSpaceDropped = dropped;
        out.append(piece.replace(SentencePieceNormalizer.SPACE_SYMBOL, ' '));
    }
}
