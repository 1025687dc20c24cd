package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Tokenizer#minTokenCount} is a lower bound on what {@code encode} gives, for every fixture file, and a
 * useful one: a long text's bound grows with its length, so a prompt-length check can refuse a multi-megabyte
 * message without encoding it (a 5 MB message took 10.7 s of CPU to encode before it was refused).
 */
class MinTokenCountTest {

    static Stream<Arguments> files() {
        return TokenizerFiles.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void boundsTheReferenceCasesFromBelow(String label, Tokenizer tokenizer, EncodingCases reference) {
        for (EncodingCases.Case c : reference.cases()) {
            assertThat(tokenizer.minTokenCount(c.text())).as(c.text()).isLessThanOrEqualTo(tokenizer.encode(c.text()).length);
        }
        assertThat(tokenizer.minTokenCount("")).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void boundsLongTextsFromBelowAndGrowsWithThem(String label, Tokenizer tokenizer, EncodingCases reference) {
        Random random = new Random(15);
        for (String text : new String[] {words(random, 60_000), "a".repeat(60_000), " ".repeat(20_000) + "x",
                "漢字かな".repeat(5_000), "\uD83D\uDE00".repeat(10_000), "\uD800 \uDC00".repeat(5_000)}) {
            int bound = tokenizer.minTokenCount(text), actual = tokenizer.encode(text).length;
            assertThat(bound).as("%s...", text.substring(0, 8)).isLessThanOrEqualTo(actual);
        }
        // One character in 64 at least counts: the bound of 200,000 letters refuses a 4,096-token context at once.
        assertThat(tokenizer.minTokenCount(words(random, 200_000))).isGreaterThan(200_000 / 64);
        assertThat(tokenizer.minTokenCount("a".repeat(200_000))).isGreaterThan(200_000 / 64);
    }

    private static String words(Random random, int length) {
        StringBuilder text = new StringBuilder(length);
        while (text.length() < length) {
            int word = 1 + random.nextInt(9);
            for (int i = 0; i < word; i++) text.append((char) ('a' + random.nextInt(26)));
            text.append(random.nextInt(8) == 0 ? ". " : " ");
        }
        return text.substring(0, length);
    }
}
