package org.gptq4j.tokenizer;

/** Small string helpers shared by the tokenizers. */
final class Text {
    private Text() {}

    /**
     * What {@link Tokenizer#pieceText} gives for a token whose decoded text is {@code text}, or, when it is a byte
     * piece ({@code byteValue >= 0}), for that byte: the character if it is printable ASCII, tab or newline.
     */
    static String pieceText(String text, int byteValue) {
        if (byteValue >= 0) {
            return byteValue >= 0x20 && byteValue < 0x7f || byteValue == '\n' || byteValue == '\t'
                    ? String.valueOf((char) byteValue) : null;
        }
        return text.isEmpty() ? null : text;
    }

    /**
     * The text with every unpaired surrogate replaced by U+FFFD, so that it has a UTF-8 form: what a UTF-8
     * based reference tokenizer would receive.
     */
    static String withoutLoneSurrogates(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (out != null) out.append(c).append(text.charAt(i + 1));
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) out = new StringBuilder(text).delete(i, text.length());
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }
}
