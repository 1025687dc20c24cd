package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Encoding stays linearithmic: a 2,000-character mixed Chinese/English text with the 55,296-piece vocabulary
 * encodes in well under 10 ms once warm, and the 4.9 MB tokenizer.json loads in about a second. Bounds are
 * generous because the test machine is shared; the measured times are printed.
 */
class TokenizerPerformanceTest {
    private static final String TEXT;

    static {
        var text = new StringBuilder();
        String[] parts = {"Once upon a time, there was a little girl named Lily. ", "夕阳西下时分，天空渐渐染上了一层橘红色。",
                "def f(x):\n    return x**2\n", "寻寻觅觅，冷冷清清，凄凄惨惨戚戚。", "emoji 🦙🔥 ok  "};
        for (int i = 0; text.length() < 2_000; i++) text.append(parts[i % parts.length]);
        TEXT = text.substring(0, 2_000);
    }

    @Test
    void encodesTwoThousandCharactersQuickly() {
        for (Tokenizer tokenizer : new Tokenizer[] {SentencePieceParityTest.model(EncodingCases.FIREFLY),
                HuggingFaceParityTest.json(EncodingCases.FIREFLY)}) {
            for (int i = 0; i < 200; i++) tokenizer.encode(TEXT); // warm up
            long[] nanos = new long[51];
            for (int i = 0; i < nanos.length; i++) {
                long start = System.nanoTime();
                tokenizer.encode(TEXT);
                nanos[i] = System.nanoTime() - start;
            }
            Arrays.sort(nanos);
            double medianMs = nanos[nanos.length / 2] / 1e6;
            System.out.printf("%s: 2,000 characters encoded in %.3f ms (median)%n", tokenizer, medianMs);
            assertThat(medianMs).as("%s median encode time (ms)", tokenizer).isLessThan(10.0);
        }
    }

    @Test
    void loadsTheLargeTokenizerJsonQuickly() {
        var file = EncodingCases.folder(EncodingCases.FIREFLY).resolve("tokenizer.json");
        long start = System.nanoTime();
        Tokenizer tokenizer = Tokenizer.load(file);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s loaded in %.3f s%n", tokenizer, seconds);
        assertThat(seconds).isLessThan(3.0);
    }
}
