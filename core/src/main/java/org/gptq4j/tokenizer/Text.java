package org.gptq4j.tokenizer;

/** Small string helpers shared by the tokenizers. */
final class Text {
    private Text() {}

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
