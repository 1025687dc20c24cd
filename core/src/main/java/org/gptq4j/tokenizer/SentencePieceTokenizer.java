package org.gptq4j.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * A sentencepiece BPE tokenizer read from a {@code tokenizer.model}, reproducing sentencepiece's
 * {@code EncodeAsIds} and {@code DecodeIds}: whitespace normalization, user-defined symbols kept whole, BPE that
 * merges the adjacent pair forming the highest-scoring piece first (leftmost on ties), and byte fallback to
 * {@code <0xNN>} pieces for characters outside the vocabulary. Decoding differs from sentencepiece in one
 * documented way: the unknown piece is skipped like the control pieces rather than written as " ⁇ ".
 * Not implemented: UNIGRAM models, precompiled normalization rules (nmt_nfkc), and re-splitting merges that
 * produce UNUSED pieces; such models are refused when loading, except UNUSED pieces, which merge like normal ones.
 */
public final class SentencePieceTokenizer implements Tokenizer {
    private final String source;
    private final String[] pieces;
    private final PieceType[] types;
    /** Pieces BPE can produce (sentencepiece's {@code pieces_}): normal, user-defined, unused. */
    private final Map<String, Integer> mergeable = new HashMap<>();
    /** Control, unknown and byte pieces (sentencepiece's {@code reserved_id_map_}). */
    private final Map<String, Integer> reserved = new HashMap<>();
    /** Per id, the rank of its score among all scores, highest score = rank 0; equal scores share a rank. */
    private final int[] scoreRank;
    /** Per byte value, the id of its {@code <0xNN>} piece, or -1. */
    private final int[] byteIds = new int[256];
    /** Per id, the byte a {@code <0xNN>} piece stands for, or -1. */
    private final int[] byteValues;
    private final PrefixMatcher userDefined;
    private final SentencePieceNormalizer normalizer;
    private final boolean byteFallback;
    private final int unkId, bosId, eosId;
    /** The most characters of normalized text one token stands for (see {@link #minTokenCount}). */
    private final int maxTokenChars;

    private SentencePieceTokenizer(SentencePieceModel model, String source) {
        this.source = source;
        if (model.modelType() != SentencePieceModel.BPE) {
            String type = switch (model.modelType()) {
                case SentencePieceModel.UNIGRAM -> "UNIGRAM";
                case 3 -> "WORD";
                case 4 -> "CHAR";
                default -> "type " + model.modelType();
            };
            throw new TokenizerException("sentencepiece model " + source + " is a " + type
                    + " model; only BPE models are supported");
        }
        if (model.whitespaceAsSuffix()) {
            throw new TokenizerException("sentencepiece model " + source
                    + " sets treat_whitespace_as_suffix, which is not supported");
        }
        int n = model.pieces().size();
        pieces = new String[n];
        types = new PieceType[n];
        byteValues = new int[n];
        Arrays.fill(byteIds, -1);
        Arrays.fill(byteValues, -1);
        List<String> userSymbols = new ArrayList<>();
        int unk = -1;
        // A mergeable piece stands for its own text; any other token for (part of) one code point: 2 chars at most.
        int longest = 2;
        for (int id = 0; id < n; id++) {
            SentencePieceModel.Piece piece = model.pieces().get(id);
            pieces[id] = piece.text();
            types[id] = piece.type();
            var map = piece.type().isMergeable() ? mergeable : reserved;
            if (map.putIfAbsent(piece.text(), id) != null) {
                throw new TokenizerException("sentencepiece model " + source + ": piece '" + piece.text()
                        + "' is defined twice");
            }
            if (piece.type().isMergeable()) longest = Math.max(longest, piece.text().length());
            switch (piece.type()) {
                case USER_DEFINED -> userSymbols.add(piece.text());
                case UNKNOWN -> unk = id;
                case BYTE -> {
                    int b = parseBytePiece(piece.text());
                    byteIds[b] = id;
                    byteValues[id] = b;
                }
                default -> {}
            }
        }
        if (unk < 0) throw new TokenizerException("sentencepiece model " + source + " defines no unknown piece");
        byteFallback = model.byteFallback();
        if (byteFallback && Arrays.stream(byteIds).anyMatch(id -> id < 0)) {
            throw new TokenizerException("sentencepiece model " + source
                    + " enables byte_fallback but lacks some of the 256 <0xNN> pieces");
        }
        unkId = unk;
        maxTokenChars = longest;
        requireControl(model.bosId(), "bos_id");
        requireControl(model.eosId(), "eos_id");
        requireControl(model.padId(), "pad_id");
        requireUnreachableControls();
        bosId = controlOrNone(model.bosId());
        eosId = controlOrNone(model.eosId());
        scoreRank = rankScores(model.pieces());
        userDefined = new PrefixMatcher(userSymbols);
        normalizer = new SentencePieceNormalizer(model.normalizer(), source);
    }

    /** Reads a {@code tokenizer.model}. */
    public static SentencePieceTokenizer load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TokenizerException("cannot read sentencepiece model " + file + ": " + e.getMessage(), e);
        }
        return parse(bytes, file.toString());
    }

    /** Parses the bytes of a {@code tokenizer.model}; {@code source} names it in error messages. */
    public static SentencePieceTokenizer parse(byte[] bytes, String source) {
        return new SentencePieceTokenizer(SentencePieceModel.parse(bytes, source), source);
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int unkId() {
        return unkId;
    }

    @Override
    public int[] encode(String text) {
        String normalized = normalizer.normalize(Text.withoutLoneSurrogates(text));
        IntStream.Builder out = IntStream.builder();
        // Symbols up to the next user-defined one are merged together; user-defined symbols never merge.
        var runIds = IntStream.builder();
        var runBounds = IntStream.builder();
        int runLength = 0;
        for (int at = 0; at < normalized.length(); ) {
            String symbol = userDefined.isEmpty() ? null : userDefined.longestAt(normalized, at);
            if (symbol != null) {
                encodeRun(normalized, runIds, runBounds.add(at), out);
                runIds = IntStream.builder();
                runBounds = IntStream.builder();
                out.add(mergeable.get(symbol));
                at += symbol.length();
                continue;
            }
            int next = at + Character.charCount(normalized.codePointAt(at));
            runIds.add(mergeable.getOrDefault(normalized.substring(at, next), -1));
            runBounds.add(at);
            at = next;
        }
        encodeRun(normalized, runIds, runBounds.add(normalized.length()), out);
        return out.build().toArray();
    }

    /** The normalized text divided among tokens of at most {@link #maxTokenChars} characters, rounded up. */
    @Override
    public int minTokenCount(String text) {
        return Math.ceilDiv(normalizer.normalize(Text.withoutLoneSurrogates(text)).length(), maxTokenChars);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text);
    }

    @Override
    public String decode(int[] ids) {
        StreamingDecoder decoder = newStreamingDecoder();
        var text = new StringBuilder();
        for (int id : ids) text.append(decoder.push(id));
        return text.append(decoder.flush()).toString();
    }

    @Override
    public String piece(int id) {
        checkId(id);
        return pieces[id];
    }

    @Override
    public String pieceText(int id) {
        if (isSpecial(id)) return null;
        return Text.pieceText(pieces[id].replace(SentencePieceNormalizer.SPACE_SYMBOL, ' '), byteValues[id]);
    }

    @Override
    public OptionalInt id(String piece) {
        Integer id = reserved.getOrDefault(piece, mergeable.get(piece));
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public boolean isSpecial(int id) {
        checkId(id);
        return types[id] == PieceType.CONTROL || types[id] == PieceType.UNKNOWN;
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        return new SentencePieceStreamingDecoder(this);
    }

    @Override
    public String toString() {
        return "SentencePieceTokenizer[" + source + ", " + pieces.length + " pieces]";
    }

    boolean addDummyPrefix() {
        return normalizer.addDummyPrefix();
    }

    boolean removeExtraWhitespaces() {
        return normalizer.removeExtraWhitespaces();
    }

    /** The byte a {@code <0xNN>} piece stands for, or -1 for any other piece. */
    int byteValue(int id) {
        return byteValues[id];
    }

    void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " outside [0, " + pieces.length + ")");
        }
    }

    /** BPE over one run of symbols {@code [bounds[i], bounds[i+1])} of {@code normalized}, appending ids to out. */
    private void encodeRun(String normalized, IntStream.Builder runIds, IntStream.Builder runBounds,
                           IntStream.Builder out) {
        int[] ids = runIds.build().toArray();
        if (ids.length == 0) return;
        BpeMerger.Symbols symbols = BpeMerger.merge(ids, runBounds.build().toArray(), (left, right, from, to) -> {
            Integer merged = mergeable.get(normalized.substring(from, to));
            return merged == null ? BpeMerger.Lookup.NONE : BpeMerger.Lookup.merge(scoreRank[merged], merged);
        });
        for (int i = 0; i < symbols.size(); i++) {
            int id = symbols.ids()[i];
            if (id >= 0) {
                out.add(id);
                continue;
            }
            // A single character that is no mergeable piece.
            String character = normalized.substring(symbols.starts()[i], symbols.ends()[i]);
            Integer reservedId = reserved.get(character);
            if (reservedId != null) out.add(reservedId);
            else if (byteFallback) for (byte b : character.getBytes(StandardCharsets.UTF_8)) out.add(byteIds[b & 0xFF]);
            else out.add(unkId);
        }
    }

    /**
     * Refuses a BOS, EOS or PAD id that names a piece plain text can produce (a user-defined, normal or unused
     * piece, e.g. a user-defined {@code <s>} at the BOS id): user text could then forge the prompt's structure.
     * sentencepiece's trainer always makes these pieces CONTROL.
     */
    private void requireControl(int id, String field) {
        if (id < 0 || id >= types.length || types[id] == PieceType.CONTROL) return;
        throw new TokenizerException("sentencepiece model " + source + ": " + field + " " + id + " names the "
                + types[id].name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " piece '" + pieces[id]
                + "', which plain text can produce; refused (a hostile or broken file: the piece must be CONTROL)");
    }

    /** Refuses a CONTROL piece of one character: {@link #encodeRun} would produce it for that character. */
    private void requireUnreachableControls() {
        for (int id = 0; id < types.length; id++) {
            String text = pieces[id];
            if (types[id] == PieceType.CONTROL && !text.isEmpty() && text.codePointCount(0, text.length()) == 1) {
                throw new TokenizerException("sentencepiece model " + source + ": control piece " + id + " is the"
                        + " single character '" + text + "', which plain text would produce; refused");
            }
        }
    }

    private int controlOrNone(int id) {
        return id >= 0 && id < pieces.length && types[id] == PieceType.CONTROL ? id : -1;
    }

    private int parseBytePiece(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            int high = Character.digit(piece.charAt(3), 16), low = Character.digit(piece.charAt(4), 16);
            if (high >= 0 && low >= 0) return high << 4 | low; // not parseInt, which takes "<0x-1>" as -1
        }
        throw new TokenizerException("sentencepiece model " + source + ": byte piece '" + piece + "' is not <0xNN>");
    }

    /** Rank 0 for the highest score, equal scores sharing a rank: merge priority by score, as an int. */
    private static int[] rankScores(List<SentencePieceModel.Piece> pieces) {
        float[] scores = new float[pieces.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = pieces.get(i).score();
        float[] ascending = scores.clone();
        Arrays.sort(ascending);
        int distinct = 0;
        for (float score : ascending) {
            if (distinct == 0 || Float.compare(ascending[distinct - 1], score) != 0) ascending[distinct++] = score;
        }
        int[] rank = new int[scores.length];
        for (int i = 0; i < scores.length; i++) {
            rank[i] = distinct - 1 - Arrays.binarySearch(ascending, 0, distinct, scores[i]);
        }
        return rank;
    }
}
