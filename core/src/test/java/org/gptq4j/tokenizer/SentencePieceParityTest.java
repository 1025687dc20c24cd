package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every {@code tokenizer.model} fixture against sentencepiece's own output. */
class SentencePieceParityTest {
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    static Tokenizer model(String name) {
        return LOADED.computeIfAbsent(name, n -> Tokenizer.load(EncodingCases.folder(n).resolve("tokenizer.model")));
    }

    static Stream<Arguments> cases() {
        return EncodingCases.arguments(EncodingCases.FIREFLY, EncodingCases.LLAMA2, EncodingCases.STORIES);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void encodesLikeSentencePiece(String name, EncodingCases.Case c) {
        assertThat(model(name).encode(c.text())).containsExactly(c.sentencepieceIds());
        assertThat(model(name).encodeWithSpecialTokens(c.text())).containsExactly(c.sentencepieceIds());
        assertThat(Arrays.stream(c.sentencepieceIds()).mapToObj(model(name)::piece)).containsExactlyElementsOf(c.sentencepiecePieces());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void decodesLikeSentencePiece(String name, EncodingCases.Case c) {
        assertThat(model(name).decode(c.sentencepieceIds())).isEqualTo(c.sentencepieceDecoded());
    }

    @Test
    void specialIdsAndSizeMatchTheFixtures() {
        for (String name : new String[] {EncodingCases.FIREFLY, EncodingCases.LLAMA2, EncodingCases.STORIES}) {
            EncodingCases expected = EncodingCases.of(name);
            Tokenizer tokenizer = model(name);
            assertThat(tokenizer.vocabSize()).as(name).isEqualTo(expected.vocabSize());
            assertThat(tokenizer.bosId()).as(name).isEqualTo(expected.bosId());
            assertThat(tokenizer.eosId()).as(name).isEqualTo(expected.eosId());
            assertThat(tokenizer.unkId()).as(name).isEqualTo(expected.unkId());
        }
    }
}
