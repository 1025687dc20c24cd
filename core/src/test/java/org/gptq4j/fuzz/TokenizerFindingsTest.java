package org.gptq4j.fuzz;

import org.gptq4j.testing.Fixtures;
import org.gptq4j.tokenizer.HuggingFaceTokenizer;
import org.gptq4j.tokenizer.SentencePieceTokenizer;
import org.gptq4j.tokenizer.TokenizerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tokenizer-loader findings of the fuzz campaign (docs/reliability.md), each as a named regression test. The
 * same inputs are also in {@code TokenizerLoaderFuzzTestInputs}, replayed by {@link TokenizerLoaderFuzzTest}.
 */
class TokenizerFindingsTest {
    private static final String STORIES_JSON = read(Fixtures.tokenizer("stories-tok512").resolve("tokenizer.json"));

    @TempDir
    Path dir;

    @Test
    void anUnknownPrependSchemeIsATokenizerException() {
        assertRefused(STORIES_JSON.replace("\"prepend_scheme\": \"always\"", "\"prepend_scheme\": \"sometimes\""),
                "prepend_scheme 'sometimes'");
    }

    @Test
    @Timeout(10)
    void anEmptyMetaspaceReplacementIsRefusedInsteadOfLoopingForever() {
        assertRefused(STORIES_JSON.replace("\"replacement\": \"\u2581\"", "\"replacement\": \"\""), "replacement '' is not one character");
    }

    @Test
    void aNegativeVocabularyIdIsRefused() {
        assertRefused(STORIES_JSON.replace("\"<0x00>\": 3", "\"<0x00>\": -5"), "token id -5");
    }

    @Test
    void aHugeVocabularyIdIsRefusedWithoutAllocatingForIt() {
        assertRefused(STORIES_JSON.replace("\"<0x00>\": 3", "\"<0x00>\": 2147483647"), "token id 2147483647");
    }

    @Test
    void aNegativeAddedTokenIdIsRefused() {
        assertRefused(STORIES_JSON.replaceFirst("\"id\": 0,", "\"id\": -1,"), "token id -1");
    }

    @Test
    void aBytePieceWrittenWithASignIsRefused() throws IOException {
        byte[] model = Files.readAllBytes(Fixtures.tokenizer("stories-tok512").resolve("tokenizer.model"));
        String latin1 = new String(model, StandardCharsets.ISO_8859_1);
        byte[] damaged = latin1.replace("<0x00>", "<0x-1>").getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> SentencePieceTokenizer.parse(damaged, "damaged.model"))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("'<0x-1>' is not <0xNN>");
    }

    private void assertRefused(String json, String message) {
        if (json.equals(STORIES_JSON)) throw new AssertionError("the damage did not apply to the fixture");
        Path file = Fuzz.write(dir.resolve("tokenizer.json"), json.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(file)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining(message);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
