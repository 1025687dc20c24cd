package org.gptq4j.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A token's text mid-sequence is the same whichever file the vocabulary comes from. */
class PieceTextTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tokenizer.model", "tokenizer.json"})
    void wordPiecesAreTextWithTheirSpaceAndBytePiecesOnlyWhenAscii(String file) {
        Tokenizer tokenizer = Tokenizer.load(EncodingCases.folder(EncodingCases.STORIES).resolve(file));
        int word = tokenizer.id("\u2581Once").orElseThrow();
        assertThat(tokenizer.pieceText(word)).isEqualTo(" Once");
        assertThat(tokenizer.pieceText(tokenizer.id("<0x0A>").orElseThrow())).isEqualTo("\n");
        assertThat(tokenizer.pieceText(tokenizer.id("<0x41>").orElseThrow())).isEqualTo("A");
        assertThat(tokenizer.pieceText(tokenizer.id("<0xF0>").orElseThrow())).isNull();
        assertThat(tokenizer.pieceText(tokenizer.bosId())).isNull();
        assertThat(tokenizer.pieceText(tokenizer.eosId())).isNull();
        assertThatThrownBy(() -> tokenizer.pieceText(tokenizer.vocabSize())).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tokenizer.model", "tokenizer.json"})
    void bothFilesGiveTheSameTextForEveryToken(String file) {
        Tokenizer model = Tokenizer.load(EncodingCases.folder(EncodingCases.STORIES).resolve("tokenizer.model"));
        Tokenizer other = Tokenizer.load(EncodingCases.folder(EncodingCases.STORIES).resolve(file));
        for (int id = 0; id < model.vocabSize(); id++) {
            assertThat(other.pieceText(id)).as("token %d", id).isEqualTo(model.pieceText(id));
        }
    }
}
