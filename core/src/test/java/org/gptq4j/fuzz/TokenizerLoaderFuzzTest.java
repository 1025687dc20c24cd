package org.gptq4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.gptq4j.tokenizer.HuggingFaceTokenizer;
import org.gptq4j.tokenizer.SentencePieceTokenizer;
import org.gptq4j.tokenizer.Tokenizer;
import org.gptq4j.tokenizer.TokenizerException;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Both tokenizer loaders on arbitrary files: {@link SentencePieceTokenizer#parse} for a {@code tokenizer.model},
 * {@link HuggingFaceTokenizer#load} for a {@code tokenizer.json}. Outcome: a {@link TokenizerException}, or a
 * tokenizer that can encode a sample text and decode every id of its vocabulary without failing.
 * <p>Input layout: first byte even, the rest is a {@code tokenizer.model}; odd, a {@code tokenizer.json}.
 */
class TokenizerLoaderFuzzTest {
    private static final Path JSON = Fuzz.folder("tokenizer").resolve("tokenizer.json");
    /** Text that exercises spaces, byte fallback, a surrogate pair and special-token look-alikes. */
    private static final String SAMPLE = "  Hello <s> wörld\t\u2581 😀 </s>  ";

    @FuzzTest(maxDuration = "20s")
    void loadersRefuseBadFilesClearly(byte[] input) {
        if (input.length == 0) return;
        byte[] file = Arrays.copyOfRange(input, 1, input.length);
        boolean json = (input[0] & 1) == 1;
        Fuzz.expectOnly(() -> use(json ? HuggingFaceTokenizer.load(Fuzz.write(JSON, file))
                : SentencePieceTokenizer.parse(file, "fuzz.model")), TokenizerException.class);
    }

    /** What a loaded tokenizer must survive: encoding, decoding each id (ids with no piece may be refused). */
    private static void use(Tokenizer tokenizer) {
        tokenizer.decode(tokenizer.encode(SAMPLE));
        tokenizer.encodeWithSpecialTokens(SAMPLE);
        for (int id = 0; id < Math.min(tokenizer.vocabSize(), 4096); id++) {
            try {
                tokenizer.decode(new int[] {id});
            } catch (IllegalArgumentException holeInTheVocabulary) {
                // documented for ids without a piece
            }
        }
    }
}
