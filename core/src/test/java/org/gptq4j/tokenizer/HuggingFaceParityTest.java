package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every {@code tokenizer.json} fixture against the Hugging Face fast tokenizer's own output. */
class HuggingFaceParityTest {
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    static Tokenizer json(String name) {
        return LOADED.computeIfAbsent(name, n -> Tokenizer.load(EncodingCases.folder(n).resolve("tokenizer.json")));
    }

    static Stream<Arguments> cases() {
        return EncodingCases.arguments(EncodingCases.FIREFLY, EncodingCases.STORIES);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void encodesLikeTheFastTokenizer(String name, EncodingCases.Case c) {
        Tokenizer tokenizer = json(name);
        int[] withBos = IntStream.concat(IntStream.of(tokenizer.bosId()),
                IntStream.of(tokenizer.encodeWithSpecialTokens(c.text()))).toArray();
        assertThat(withBos).containsExactly(c.hfIdsWithSpecial());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void decodesLikeTheFastTokenizer(String name, EncodingCases.Case c) {
        assertThat(json(name).decode(c.hfIdsWithSpecial())).isEqualTo(c.hfDecoded());
    }

    @Test
    void specialIdsAndSizeMatchTheFixtures() {
        for (String name : new String[] {EncodingCases.FIREFLY, EncodingCases.STORIES}) {
            EncodingCases expected = EncodingCases.of(name);
            Tokenizer tokenizer = json(name);
            assertThat(tokenizer.vocabSize()).as(name).isEqualTo(expected.vocabSize());
            assertThat(tokenizer.bosId()).as(name).isEqualTo(expected.bosId());
            assertThat(tokenizer.eosId()).as(name).isEqualTo(expected.eosId());
            assertThat(tokenizer.unkId()).as(name).isEqualTo(expected.unkId());
        }
    }
}
