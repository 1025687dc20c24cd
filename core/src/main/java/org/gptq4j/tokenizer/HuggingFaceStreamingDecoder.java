package org.gptq4j.tokenizer;

/**
 * A tokenizer.json decoder run one id at a time: special tokens are skipped, other tokens go through the
 * Replace decoders, a run of {@code <0xNN>} tokens is held back until it ends (a later invalid byte turns the
 * whole run into U+FFFD in Hugging Face's ByteFallback, so no part of it is final before), and the leading
 * Strip applies to the start of the whole text. {@link HuggingFaceTokenizer#decode} is this decoder run over
 * all the ids.
 */
final class HuggingFaceStreamingDecoder implements StreamingDecoder {
    private final HuggingFaceTokenizer tokenizer;
    private final HuggingFaceDecoder decoder;
    private final PendingBytes bytes = new PendingBytes();
    /** How many more leading strip characters may still be removed. */
    private int stripRemaining;

    HuggingFaceStreamingDecoder(HuggingFaceTokenizer tokenizer, HuggingFaceDecoder decoder) {
        this.tokenizer = tokenizer;
        this.decoder = decoder;
        this.stripRemaining = decoder.stripCount();
    }

    @Override
    public String push(int id) {
        String token = tokenizer.piece(id);
        if (tokenizer.isSpecial(id)) return "";
        int b = decoder.byteOf(token);
        if (b >= 0) {
            bytes.add(b);
            return "";
        }
        var out = new StringBuilder();
        bytes.drainWhole(out);
        out.append(decoder.replace(token));
        return stripLeading(out);
    }

    @Override
    public String flush() {
        var out = new StringBuilder();
        bytes.drainWhole(out);
        return stripLeading(out);
    }

    /** The Strip decoder: up to stripCount strip characters at the very start of the text are dropped. */
    private String stripLeading(StringBuilder out) {
        int cut = 0;
        while (stripRemaining > 0 && cut < out.length() && out.charAt(cut) == decoder.stripChar()) {
            cut++;
            stripRemaining--;
        }
        if (cut < out.length()) stripRemaining = 0; // the text no longer starts with strip characters
        return out.substring(cut);
    }
}
