package org.gptq4j.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Text to token ids and back, with exactly the behaviour of the file's own reference implementation:
 * sentencepiece for {@code tokenizer.model}, Hugging Face's fast tokenizer for {@code tokenizer.json}.
 * Implementations are immutable and thread-safe; their streaming decoders are not.
 */
public interface Tokenizer {
    int vocabSize();

    int bosId();

    int eosId();

    int unkId();

    /** Plain text to ids, without BOS. Text that looks like a special token ({@code <s>}) stays text. */
    int[] encode(String text);

    /**
     * A lower bound on {@code encode(text).length}, found in time linear in the text and without the work of
     * encoding it (merging is what makes a long text slow): each token stands for at most a vocabulary-derived
     * number of characters of the normalized text. A prompt-length check can refuse a text whose bound is already
     * too long before encoding it.
     */
    int minTokenCount(String text);

    /**
     * Like the file's own reference: for tokenizer.json, added/special tokens in the text are parsed as the
     * HF fast tokenizer does (still without BOS; the caller adds it); for tokenizer.model this equals encode().
     */
    int[] encodeWithSpecialTokens(String text);

    /**
     * Ids to text as the file's own reference decodes (sentencepiece for .model, the tokenizer.json decoder
     * for .json); special/control tokens (BOS, EOS, UNK, PAD) are skipped.
     *
     * @throws IllegalArgumentException for an id outside {@code [0, vocabSize())}
     */
    String decode(int[] ids);

    /** The raw piece, e.g. {@code ▁Once} or {@code <0xF0>}. */
    String piece(int id);

    /**
     * The text token {@code id} adds in the middle of a decoded text, as the file's decoder gives it ("▁Once" is
     * " Once": a leading space is never dropped here), or null when the token is no text on its own: a special
     * token, an empty piece, or a byte piece other than printable ASCII, tab or newline (a part of a multi-byte
     * character). Grammars match tokens by this text.
     *
     * @throws IllegalArgumentException for an id outside {@code [0, vocabSize())}
     */
    String pieceText(int id);

    OptionalInt id(String piece);

    /** Control tokens and added special tokens: the ids {@link #decode} skips. */
    boolean isSpecial(int id);

    StreamingDecoder newStreamingDecoder();

    /** Loads {@code *.model} as sentencepiece, {@code *.json} as a Hugging Face tokenizer.json. */
    static Tokenizer load(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        if (name.endsWith(".model")) return SentencePieceTokenizer.load(file);
        if (name.endsWith(".json")) return HuggingFaceTokenizer.load(file);
        throw new TokenizerException("unknown tokenizer file type: " + file
                + " (expected a sentencepiece *.model or a Hugging Face tokenizer.json)");
    }

    /** The tokenizer files a model folder may hold, in order of preference. */
    java.util.List<String> FOLDER_FILES = java.util.List.of("tokenizer.model", "tokenizer.json");

    /** Loads a model folder's tokenizer: {@code tokenizer.model} if present, else {@code tokenizer.json}. */
    static Tokenizer fromModelFolder(Path folder) {
        for (String candidate : FOLDER_FILES) {
            Path file = folder.resolve(candidate);
            if (Files.isRegularFile(file)) return load(file);
        }
        throw new TokenizerException("no tokenizer.model or tokenizer.json in " + folder.toAbsolutePath());
    }
}
