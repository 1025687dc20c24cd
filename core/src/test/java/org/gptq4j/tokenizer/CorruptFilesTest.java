package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged or unsupported files fail with a TokenizerException that names the problem. */
class CorruptFilesTest {
    @TempDir
    Path dir;

    private static byte[] fixture(String name, String file) throws IOException {
        return Files.readAllBytes(EncodingCases.folder(name).resolve(file));
    }

    private Path write(String file, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(file), bytes);
    }

    @Test
    void truncatedModel() throws IOException {
        byte[] whole = fixture(EncodingCases.STORIES, "tokenizer.model");
        Path truncated = write("tokenizer.model", Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> Tokenizer.load(truncated)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("truncated").hasMessageContaining(truncated.toString());
    }

    @Test
    void everyTruncationOfAModelFailsCleanly() throws IOException {
        byte[] whole = fixture(EncodingCases.STORIES, "tokenizer.model");
        for (int length = 0; length < whole.length; length += 97) {
            byte[] prefix = Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> SentencePieceTokenizer.parse(prefix, "a prefix"))
                    .as("first %d bytes", length).isInstanceOf(TokenizerException.class);
        }
    }

    @Test
    void garbageModel() throws IOException {
        Path garbage = write("tokenizer.model", "this is not a sentencepiece model\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Tokenizer.load(garbage)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("corrupt sentencepiece model");
        Path empty = write("empty.model", new byte[0]);
        assertThatThrownBy(() -> Tokenizer.load(empty)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("no pieces");
        var random = new java.util.Random(7);
        for (int i = 0; i < 200; i++) {
            byte[] noise = new byte[1 + random.nextInt(300)];
            random.nextBytes(noise);
            assertThatThrownBy(() -> SentencePieceTokenizer.parse(noise, "noise")).isInstanceOf(TokenizerException.class);
        }
    }

    @Test
    void unigramModelIsRefused() throws IOException {
        // ModelProto { pieces { piece: "<unk>" type: UNKNOWN } trainer_spec { model_type: UNIGRAM } }
        var piece = new ByteArrayOutputStream();
        piece.writeBytes(new byte[] {0x0A, 5});
        piece.writeBytes("<unk>".getBytes(StandardCharsets.UTF_8));
        piece.writeBytes(new byte[] {0x18, 2});
        var model = new ByteArrayOutputStream();
        model.writeBytes(new byte[] {0x0A, (byte) piece.size()});
        model.writeBytes(piece.toByteArray());
        model.writeBytes(new byte[] {0x12, 2, 0x18, 1});
        Path unigram = write("unigram.model", model.toByteArray());
        assertThatThrownBy(() -> Tokenizer.load(unigram)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("UNIGRAM").hasMessageContaining("only BPE");
    }

    @Test
    void unknownJsonModelType() throws IOException {
        Path wordPiece = write("tokenizer.json", """
                {"added_tokens": [], "normalizer": null, "pre_tokenizer": null, "decoder": null,
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0}}}
                """.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Tokenizer.load(wordPiece)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("WordPiece").hasMessageContaining("only BPE");
    }

    @Test
    void byteLevelBpeIsRefused() throws IOException {
        Path byteLevel = write("tokenizer.json", """
                {"added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
                 "decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}
                """.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Tokenizer.load(byteLevel)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("ByteLevel");
    }

    @Test
    void malformedJson() throws IOException {
        Path broken = write("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Tokenizer.load(broken)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining(broken.toString());
    }

    @Test
    void unknownFileTypeAndMissingFiles() {
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("vocab.txt"))).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("vocab.txt");
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("missing.model"))).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("missing.model");
        assertThatThrownBy(() -> Tokenizer.fromModelFolder(dir)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining(dir.toString());
    }

    @Test
    void modelFolderPrefersTokenizerModel() throws IOException {
        assertThat(Tokenizer.fromModelFolder(EncodingCases.folder(EncodingCases.FIREFLY)))
                .isInstanceOf(SentencePieceTokenizer.class);
        Files.write(dir.resolve("tokenizer.json"), fixture(EncodingCases.STORIES, "tokenizer.json"));
        assertThat(Tokenizer.fromModelFolder(dir)).isInstanceOf(HuggingFaceTokenizer.class);
    }
}
