package org.gptq4j.tokenizer;

/**
 * sentencepiece's whitespace normalization for the {@code identity} rule (no precompiled character map):
 * optional removal of leading, trailing and repeated spaces, the dummy-prefix space, and spaces written as
 * "▁" (U+2581). Only U+0020 counts as a space, as in sentencepiece; tabs and newlines are ordinary text.
 */
final class SentencePieceNormalizer {
    static final char SPACE_SYMBOL = '\u2581';

    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final char space;

    SentencePieceNormalizer(SentencePieceModel.NormalizerSpec spec, String source) {
        if (spec.hasCharsMap()) {
            throw new TokenizerException("sentencepiece model " + source + " uses normalization rule '" + spec.name()
                    + "' with a precompiled character map, which is not supported (only 'identity' is)");
        }
        this.addDummyPrefix = spec.addDummyPrefix();
        this.removeExtraWhitespaces = spec.removeExtraWhitespaces();
        this.space = spec.escapeWhitespaces() ? SPACE_SYMBOL : ' ';
    }

    boolean addDummyPrefix() {
        return addDummyPrefix;
    }

    boolean removeExtraWhitespaces() {
        return removeExtraWhitespaces;
    }

    /** The normalized text that BPE segments, as sentencepiece's {@code Normalizer::Normalize} builds it. */
    String normalize(String text) {
        int from = 0;
        if (removeExtraWhitespaces) {
            while (from < text.length() && text.charAt(from) == ' ') from++;
        }
        if (from == text.length()) return "";

        var out = new StringBuilder(text.length() + 1);
        if (addDummyPrefix) out.append(space);
        // A space directly after a space (or after the start, once leading spaces are gone) is dropped.
        boolean previousIsSpace = removeExtraWhitespaces;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ') {
                if (!previousIsSpace) out.append(space);
                previousIsSpace = removeExtraWhitespaces;
            } else {
                out.append(c);
                previousIsSpace = false;
            }
        }
        if (removeExtraWhitespaces) {
            int end = out.length();
            while (end > 0 && out.charAt(end - 1) == space) end--;
            out.setLength(end);
        }
        return out.toString();
    }
}
