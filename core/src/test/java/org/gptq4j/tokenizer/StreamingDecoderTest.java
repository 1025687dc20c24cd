package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Streaming decoding produces exactly decode(ids), and never a premature replacement character. */
class StreamingDecoderTest {

    static Stream<org.junit.jupiter.params.provider.Arguments> files() {
        return TokenizerFiles.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void streamingEqualsDecodeOnEveryFixtureCase(String label, Tokenizer tokenizer, EncodingCases reference) {
        for (EncodingCases.Case c : reference.cases()) {
            for (int[] ids : List.of(c.sentencepieceIds(), c.hfIdsWithSpecial(), tokenizer.encode(c.text()))) {
                List<String> pushes = stream(tokenizer, ids);
                String whole = tokenizer.decode(ids);
                assertThat(String.join("", pushes)).as("%s %s", label, c).isEqualTo(whole);
                if (whole.indexOf('\uFFFD') < 0) {
                    assertThat(pushes).as("%s %s", label, c).noneMatch(s -> s.indexOf('\uFFFD') >= 0);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void streamingEqualsDecodeOnRandomIds(String label, Tokenizer tokenizer, EncodingCases reference) {
        var random = new Random(20240611L);
        for (int round = 0; round < 2_000; round++) {
            int[] ids = new int[random.nextInt(40)];
            for (int i = 0; i < ids.length; i++) {
                // Half the ids among the first 300 (control, unknown and byte pieces), half anywhere.
                ids[i] = random.nextBoolean() ? random.nextInt(Math.min(300, tokenizer.vocabSize()))
                        : random.nextInt(tokenizer.vocabSize());
            }
            assertThat(String.join("", stream(tokenizer, ids))).as("%s ids %s", label, java.util.Arrays.toString(ids))
                    .isEqualTo(tokenizer.decode(ids));
        }
    }

    @Test
    void aSplitEmojiIsEmittedWholeBySentencePiece() {
        Tokenizer tokenizer = SentencePieceParityTest.model(EncodingCases.FIREFLY);
        int[] llama = tokenizer.encode("🦙");
        // "▁" then the four bytes F0 9F A6 99.
        assertThat(llama).hasSize(5);
        assertThat(tokenizer.piece(llama[1])).isEqualTo("<0xF0>");
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        assertThat(decoder.push(llama[0])).isEmpty();
        assertThat(decoder.push(llama[1])).isEmpty();
        assertThat(decoder.push(llama[2])).isEmpty();
        assertThat(decoder.push(llama[3])).isEmpty();
        assertThat(decoder.push(llama[4])).isEqualTo("🦙");
        assertThat(decoder.flush()).isEmpty();
    }

    @Test
    void aSplitEmojiIsEmittedWholeByTheJsonDecoder() {
        Tokenizer tokenizer = HuggingFaceParityTest.json(EncodingCases.FIREFLY);
        int[] ids = tokenizer.encode("🦙 ok");
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        var pushes = new ArrayList<String>();
        for (int id : ids) pushes.add(decoder.push(id));
        pushes.add(decoder.flush());
        // The byte run is final only once a non-byte token ends it: the emoji arrives in one piece.
        assertThat(pushes).noneMatch(s -> s.indexOf('\uFFFD') >= 0);
        assertThat(pushes).anyMatch(s -> s.startsWith("🦙"));
        assertThat(String.join("", pushes)).isEqualTo("🦙 ok");
    }

    @Test
    void anUnfinishedCharacterBecomesAReplacementCharacterOnFlush() {
        Tokenizer tokenizer = SentencePieceParityTest.model(EncodingCases.LLAMA2);
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        assertThat(decoder.push(tokenizer.id("<0xF0>").orElseThrow())).isEmpty();
        assertThat(decoder.push(tokenizer.id("<0x9F>").orElseThrow())).isEmpty();
        assertThat(decoder.flush()).isEqualTo("\uFFFD\uFFFD");
    }

    private static List<String> stream(Tokenizer tokenizer, int[] ids) {
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        var pushes = new ArrayList<String>();
        for (int id : ids) pushes.add(decoder.push(id));
        pushes.add(decoder.flush());
        return pushes;
    }
}
