package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** "<s>" typed by a user is text under encode(), whatever the file format. */
class SpecialTokensAsTextTest {

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> files() {
        return TokenizerFiles.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void specialTokenTextStaysText(String label, Tokenizer tokenizer, EncodingCases reference) {
        String text = "<s>literal special</s>";
        int[] ids = tokenizer.encode(text);
        assertThat(ids).doesNotContain(tokenizer.bosId(), tokenizer.eosId());
        assertThat(java.util.Arrays.stream(ids).noneMatch(tokenizer::isSpecial)).isTrue();
        assertThat(tokenizer.decode(ids)).isEqualTo(text);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void specialTokensParseOnlyWhenAskedFor(String label, Tokenizer tokenizer, EncodingCases reference) {
        int[] ids = tokenizer.encodeWithSpecialTokens("<s>literal special</s>");
        if (tokenizer instanceof HuggingFaceTokenizer) {
            assertThat(ids[0]).isEqualTo(tokenizer.bosId());
            assertThat(ids[ids.length - 1]).isEqualTo(tokenizer.eosId());
        } else {
            assertThat(ids).isEqualTo(tokenizer.encode("<s>literal special</s>"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void piecesAndIdsRoundTrip(String label, Tokenizer tokenizer, EncodingCases reference) {
        assertThat(tokenizer.piece(tokenizer.bosId())).isEqualTo("<s>");
        assertThat(tokenizer.piece(tokenizer.eosId())).isEqualTo("</s>");
        assertThat(tokenizer.isSpecial(tokenizer.bosId())).isTrue();
        assertThat(tokenizer.id("<0xF0>")).hasValue(tokenizer.id("<0xF0>").orElseThrow());
        assertThat(tokenizer.id("no such piece ∅")).isEmpty();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            assertThat(tokenizer.id(tokenizer.piece(id))).as("id %d", id).hasValue(id);
        }
        assertThat(tokenizer.decode(new int[] {tokenizer.bosId(), tokenizer.unkId(), tokenizer.eosId()})).isEmpty();
    }
}
