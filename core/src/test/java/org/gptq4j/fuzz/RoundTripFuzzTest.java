package org.gptq4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.gptq4j.testing.Fixtures;
import org.gptq4j.tokenizer.HuggingFaceTokenizer;
import org.gptq4j.tokenizer.SentencePieceTokenizer;
import org.gptq4j.tokenizer.StreamingDecoder;
import org.gptq4j.tokenizer.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * For any text and every fixture tokenizer: {@code decode(encode(s))} is {@code s} up to exactly the normalization
 * that tokenizer documents, streaming decoding equals decoding, and encoding never produces a special token (BOS,
 * EOS or an added special token: special-token injection through text is impossible), and
 * {@link Tokenizer#minTokenCount} is a lower bound on the tokens encoding gives.
 * <p>The normalizations (all fixtures have byte fallback, so no character is ever lost to an unknown piece):
 * <ul>
 *   <li>every tokenizer: an unpaired surrogate becomes U+FFFD (the text a UTF-8 based reference receives), and
 *       "▁" (U+2581, sentencepiece's space symbol) decodes as a space;</li>
 *   <li>sentencepiece models, {@code add_dummy_prefix} on: the dummy prefix space is added and removed again, so
 *       leading spaces survive; with {@code remove_extra_whitespaces} (stories-tok512) leading and trailing spaces
 *       are dropped (trailing "▁" too), runs of spaces collapse to one, and a leading "▁" decodes to nothing, without it (llama2, firefly) spaces are kept;</li>
 *   <li>tokenizer.json (the fast tokenizer's legacy Llama pipeline): Metaspace prepends "▁" only to text that does
 *       not start with a space, and the Strip decoder removes one leading space, so one leading space is lost.</li>
 * </ul>
 * Input layout: first byte even, the rest is UTF-8 (invalid sequences become U+FFFD); odd, UTF-16LE, which reaches
 * unpaired surrogates.
 */
class RoundTripFuzzTest {
    /** A fixture tokenizer and the text its round trip must give back. */
    record Case(String name, Tokenizer tokenizer, UnaryOperator<String> expected) {}

    private static final List<Case> CASES = List.of(
            new Case("stories-tok512 tokenizer.model", sentencepiece("stories-tok512"), RoundTripFuzzTest::collapsingSpaces),
            new Case("llama2 tokenizer.model", sentencepiece("llama2"), RoundTripFuzzTest::keepingSpaces),
            new Case("firefly tokenizer.model", sentencepiece("firefly-chinese-llama-alpaca-2"), RoundTripFuzzTest::keepingSpaces),
            new Case("stories-tok512 tokenizer.json", json("stories-tok512"), RoundTripFuzzTest::droppingOneLeadingSpace),
            new Case("firefly tokenizer.json", json("firefly-chinese-llama-alpaca-2"), RoundTripFuzzTest::droppingOneLeadingSpace));

    @FuzzTest(maxDuration = "20s")
    void decodeOfEncodeGivesTheTextBack(byte[] input) {
        String text = textOf(input);
        for (Case c : CASES) {
            int[] ids = c.tokenizer.encode(text);
            for (int id : ids) {
                assertThat(c.tokenizer.isSpecial(id) && id != c.tokenizer.unkId()).as("%s: special id %d in encode(%s)",
                        c.name, id, Arrays.toString(input)).isFalse();
            }
            assertThat(c.tokenizer.minTokenCount(text)).as("%s: minTokenCount(text) <= encode(text).length", c.name)
                    .isLessThanOrEqualTo(ids.length);
            String decoded = c.tokenizer.decode(ids);
            assertThat(decoded).as("%s: decode(encode(text))", c.name).isEqualTo(c.expected.apply(text));
            assertThat(streamed(c.tokenizer, ids)).as("%s: streaming decode", c.name).isEqualTo(decoded);
        }
    }

    /** The text an input stands for (see the class comment). */
    static String textOf(byte[] input) {
        if (input.length == 0) return "";
        if ((input[0] & 1) == 0) return new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(input, 1, input.length - 1).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        char[] chars = new char[b.remaining() / 2];
        for (int i = 0; i < chars.length; i++) chars[i] = b.getChar();
        return new String(chars);
    }

    private static String streamed(Tokenizer tokenizer, int[] ids) {
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        StringBuilder out = new StringBuilder();
        for (int id : ids) out.append(decoder.push(id));
        return out.append(decoder.flush()).toString();
    }

    /** Unpaired surrogates as U+FFFD and "▁" as a space: what every tokenizer here gives back. */
    static String common(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c == '\u2581' ? ' ' : c);
            }
        }
        return out.toString();
    }

    static String keepingSpaces(String s) {
        return common(s);
    }

    /**
     * sentencepiece's remove_extra_whitespaces ({@code Normalizer::Normalize}): leading U+0020 are skipped and runs of
     * it collapse (a "▁" in the text is no space to it), then spaces become "▁" and every trailing "▁" is cut,
     * whichever it came from; the decoder drops every leading "▁" ({@code has_bos_ws = false} in
     * {@code SentencePieceProcessor::Decode} when whitespace is removed).
     */
    static String collapsingSpaces(String s) {
        String escaped = s.replaceAll("^ +", "").replaceAll(" {2,}", " ").replace(' ', '\u2581');
        return common(escaped.replaceAll("\u2581+$", "")).replaceFirst("^ +", "");
    }

    /** Text that starts with a space (or "▁") gets no "▁" prepended, and Strip removes the first space. */
    static String droppingOneLeadingSpace(String s) {
        return s.startsWith(" ") || s.startsWith("\u2581") ? common(s.substring(1)) : common(s);
    }

    private static Tokenizer sentencepiece(String name) {
        return SentencePieceTokenizer.load(Fixtures.tokenizer(name).resolve("tokenizer.model"));
    }

    private static Tokenizer json(String name) {
        return HuggingFaceTokenizer.load(Fixtures.tokenizer(name).resolve("tokenizer.json"));
    }
}
