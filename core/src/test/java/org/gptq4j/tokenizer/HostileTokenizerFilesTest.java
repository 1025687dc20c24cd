package org.gptq4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokenizer files written to attack the prompt: plain text that would produce BOS, EOS or another special token, or
 * a normalizer that amplifies text. Each is refused when loading (or, for amplification that only a chain of
 * steps reaches, when encoding), with a TokenizerException naming the problem.
 */
class HostileTokenizerFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The stories tokenizer.json, edited. */
    private Path storiesJson(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(EncodingCases.folder(EncodingCases.STORIES)
                .resolve("tokenizer.json").toFile());
        edit.accept(root);
        return Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(root));
    }

    private static ObjectNode addedToken(ObjectNode root, int index) {
        return (ObjectNode) root.withArray("added_tokens").get(index);
    }

    private static ObjectNode newAddedToken(ObjectNode root, int id, String content, boolean special) {
        ObjectNode token = root.withArray("added_tokens").addObject();
        token.put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", !special).put("special", special);
        return token;
    }

    @Test
    void theUnchangedFileLoads() throws IOException {
        Tokenizer tokenizer = HuggingFaceTokenizer.load(storiesJson(root -> {}));
        assertThat(tokenizer.encode("<s>")).doesNotContain(tokenizer.bosId());
    }

    @Test
    void aNonSpecialAddedTokenAtTheBosIdIsRefused() throws IOException {
        Path file = storiesJson(root -> addedToken(root, 1).put("special", false)); // {"id": 1, "content": "<s>"}
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(file)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("BOS token 1 '<s>' is not a special added token");
    }

    @Test
    void aNonSpecialAddedTokenAtTheEosIdIsRefused() throws IOException {
        Path file = storiesJson(root -> addedToken(root, 2).put("special", false));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(file)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("EOS token 2 '</s>' is not a special added token");
    }

    @Test
    void anAddedTokenDefinedTwiceIsRefused() throws IOException {
        // a non-special "<s>" after the special one: text "<s>" matched it, and its content led to id 1, the BOS
        Path file = storiesJson(root -> newAddedToken(root, 5, "<s>", false));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(file)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("added token '<s>' is defined twice");
    }

    @Test
    void aSpecialTokenThatTheBpeBuildsFromTextIsRefused() throws IOException {
        Path oneCharacter = storiesJson(root -> newAddedToken(root, root.path("model").path("vocab").path("e").asInt(),
                "e", true));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(oneCharacter)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("special token 'e'").hasMessageContaining("plain text could produce it");

        Path mergeResult = storiesJson(root -> {
            String merge = root.path("model").path("merges").get(0).isArray()
                    ? root.path("model").path("merges").get(0).get(0).asText()
                            + root.path("model").path("merges").get(0).get(1).asText()
                    : root.path("model").path("merges").get(0).asText().replace(" ", "");
            newAddedToken(root, root.path("model").path("vocab").path(merge).asInt(), merge, true);
        });
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(mergeResult)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("result of a merge");
    }

    @Test
    void aUserDefinedPieceAtTheBosIdIsRefused() {
        byte[] model = sentencePieceModel(piece("<unk>", 2), piece("<s>", 4), piece("</s>", 3), piece("a", 1));
        assertThatThrownBy(() -> SentencePieceTokenizer.parse(model, "hostile.model"))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("bos_id 1 names the user-defined piece '<s>', which plain text can produce");
    }

    @Test
    void aNormalPieceAtTheEosIdIsRefused() {
        byte[] model = sentencePieceModel(piece("<unk>", 2), piece("<s>", 3), piece("a", 1));
        assertThatThrownBy(() -> SentencePieceTokenizer.parse(model, "hostile.model"))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("eos_id 2 names the normal piece 'a'");
    }

    @Test
    void aOneCharacterControlPieceIsRefused() {
        byte[] model = sentencePieceModel(piece("<unk>", 2), piece("<s>", 3), piece("</s>", 3), piece("a", 3));
        assertThatThrownBy(() -> SentencePieceTokenizer.parse(model, "hostile.model"))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("control piece 3 is the single character 'a'");
    }

    @Test
    void theSameModelWithControlPiecesLoads() {
        byte[] model = sentencePieceModel(piece("<unk>", 2), piece("<s>", 3), piece("</s>", 3), piece("a", 1));
        SentencePieceTokenizer tokenizer = SentencePieceTokenizer.parse(model, "fine.model");
        assertThat(tokenizer.bosId()).isEqualTo(1);
        assertThat(tokenizer.encode("<s>a")).doesNotContain(1, 2);
    }

    @Test
    void aNormalizerReplacementThatAmplifiesTextIsRefusedWhenLoading() throws IOException {
        Path file = storiesJson(root -> root.putObject("normalizer").put("type", "Replace")
                .put("content", "a".repeat(11_100)).putObject("pattern").put("String", "a"));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(file)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("normalizer Replace of 1 characters by 11100 is refused");
    }

    @Test
    void aReplacementOfNothingAndALongPrependAreRefused() throws IOException {
        Path empty = storiesJson(root -> root.putObject("normalizer").put("type", "Replace")
                .put("content", "x").putObject("pattern").put("String", ""));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(empty)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("from a non-empty pattern");
        Path prepend = storiesJson(root -> root.putObject("normalizer").put("type", "Prepend")
                .put("prepend", "x".repeat(65)));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(prepend)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("Prepend of 65 characters");
        Path metaspace = storiesJson(root -> ((ObjectNode) root.get("pre_tokenizer")).put("replacement", "▁".repeat(100)));
        assertThatThrownBy(() -> HuggingFaceTokenizer.load(metaspace)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("is not one character");
    }

    @Test
    void aChainOfReplacementsThatAmplifiesTextIsRefusedWhenEncoding() throws IOException {
        Path file = storiesJson(root -> {
            ObjectNode sequence = root.putObject("normalizer").put("type", "Sequence");
            ArrayNode steps = sequence.putArray("normalizers");
            for (int i = 0; i < 20; i++) { // doubles the a's 20 times: 2^20 of them for each typed
                steps.addObject().put("type", "Replace").put("content", "aa").putObject("pattern").put("String", "a");
            }
        });
        Tokenizer tokenizer = HuggingFaceTokenizer.load(file);

        assertThat(tokenizer.encode("b")).isNotEmpty();
        assertThatThrownBy(() -> tokenizer.encode("a".repeat(1000))).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("normalizer would make").hasMessageContaining("allowed at most 8064");
    }

    @Test
    void theNormalizerOfOlderLlamaFilesStillEncodesAsTheMetaspacePreTokenizerDoes() throws IOException {
        Tokenizer metaspace = HuggingFaceTokenizer.load(storiesJson(root -> {}));
        Tokenizer normalizer = HuggingFaceTokenizer.load(storiesJson(root -> {
            ArrayNode steps = root.putObject("normalizer").put("type", "Sequence").putArray("normalizers");
            steps.addObject().put("type", "Prepend").put("prepend", "▁");
            steps.addObject().put("type", "Replace").put("content", "▁").putObject("pattern").put("String", " ");
            root.putNull("pre_tokenizer");
        }));
        String text = "Once upon a time,  there was a little girl.";
        assertThat(normalizer.encode(text)).isEqualTo(metaspace.encode(text));
    }

    /** One {@code SentencePiece} message: piece (1), score (2) 0, type (3). */
    private static byte[] piece(String text, int type) {
        var out = new ByteArrayOutputStream();
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.write(0x0A);
        out.write(utf8.length);
        out.writeBytes(utf8);
        out.writeBytes(new byte[] {0x15, 0, 0, 0, 0, 0x18, (byte) type});
        return out.toByteArray();
    }

    /** A {@code ModelProto} of these pieces and a BPE trainer spec (bos_id 1, eos_id 2 by default). */
    private static byte[] sentencePieceModel(byte[]... pieces) {
        var model = new ByteArrayOutputStream();
        for (byte[] piece : pieces) {
            model.write(0x0A);
            model.write(piece.length);
            model.writeBytes(piece);
        }
        model.writeBytes(new byte[] {0x12, 2, 0x18, 2});
        return model.toByteArray();
    }
}
