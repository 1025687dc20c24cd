package org.gptq4j.tokenizer;

import java.util.Arrays;

/**
 * A run of byte-fallback tokens ({@code <0xNN>}) waiting to become text. Two policies turn it into text, one per
 * reference implementation:
 * <ul>
 *   <li>sentencepiece: character by character; each byte that cannot start a well-formed character becomes
 *       one U+FFFD ({@link #drainComplete}, {@link #drainAll});</li>
 *   <li>Hugging Face's {@code ByteFallback} decoder: the whole run at once; if it is not well-formed UTF-8,
 *       every byte of it becomes U+FFFD ({@link #drainWhole}).</li>
 * </ul>
 * Well-formed means the Unicode definition (no overlongs, surrogates or code points above U+10FFFF), which is
 * what both sentencepiece's {@code DecodeUTF8} and Rust's {@code String::from_utf8} accept.
 */
final class PendingBytes {
    private static final char REPLACEMENT = '\uFFFD';
    private static final int INCOMPLETE = 0, INVALID = -1;

    private byte[] bytes = new byte[8];
    private int size;

    void add(int b) {
        if (size == bytes.length) bytes = Arrays.copyOf(bytes, size * 2);
        bytes[size++] = (byte) b;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Appends every finished character, keeping a trailing sequence that more bytes could still complete. */
    void drainComplete(StringBuilder out) {
        drain(out, false);
    }

    /** Appends everything, sentencepiece-style: an unfinished sequence at the end yields U+FFFD per byte. */
    void drainAll(StringBuilder out) {
        drain(out, true);
    }

    /** Appends everything, Hugging Face-style: the run's text if well-formed, else U+FFFD for every byte. */
    void drainWhole(StringBuilder out) {
        int offset = 0;
        for (int length; offset < size && (length = sequenceLength(offset)) > 0; ) offset += length;
        if (offset == size) appendUtf8(out, 0, size);
        else out.repeat(REPLACEMENT, size);
        size = 0;
    }

    private void drain(StringBuilder out, boolean final_) {
        int offset = 0;
        while (offset < size) {
            int length = sequenceLength(offset);
            if (length == INCOMPLETE && !final_) break;
            if (length > 0) {
                appendUtf8(out, offset, length);
                offset += length;
            } else {
                out.append(REPLACEMENT);
                offset++;
            }
        }
        System.arraycopy(bytes, offset, bytes, 0, size - offset);
        size -= offset;
    }

    private void appendUtf8(StringBuilder out, int offset, int length) {
        out.append(new String(bytes, offset, length, java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * The length of the well-formed character at {@code offset}; {@link #INCOMPLETE} if the bytes so far are a
     * proper prefix of one; {@link #INVALID} if no continuation can make them well-formed
     * (Unicode Table 3-7, "Well-Formed UTF-8 Byte Sequences").
     */
    private int sequenceLength(int offset) {
        int lead = bytes[offset] & 0xFF;
        if (lead < 0x80) return 1;
        int length;
        int secondMin = 0x80, secondMax = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) secondMin = 0xA0;        // overlong
            if (lead == 0xED) secondMax = 0x9F;        // surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) secondMin = 0x90;        // overlong
            if (lead == 0xF4) secondMax = 0x8F;        // above U+10FFFF
        } else return INVALID;
        for (int i = 1; i < length; i++) {
            if (offset + i >= size) return INCOMPLETE;
            int b = bytes[offset + i] & 0xFF;
            boolean ok = i == 1 ? b >= secondMin && b <= secondMax : b >= 0x80 && b <= 0xBF;
            if (!ok) return INVALID;
        }
        return length;
    }
}
