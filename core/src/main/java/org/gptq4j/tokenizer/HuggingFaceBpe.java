package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The {@code "model": {"type": "BPE", ...}} of a tokenizer.json: vocabulary, ranked merges, byte fallback and
 * unknown-token fusing, encoding one pre-tokenized word as the {@code tokenizers} crate's {@code BPE::merge_word}
 * does.
 */
final class HuggingFaceBpe {
    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    private final boolean byteFallback;
    private final boolean fuseUnknown;
    private final boolean ignoreMerges;
    private final int unkId;
    /** Per byte value, the id of the {@code <0xNN>} token, or -1. */
    private final int[] byteIds = new int[256];
    /**
     * The most characters of a word one token stands for: a vocabulary token stands for its own text (a merge's
     * text is its parts' texts joined), a byte or unknown token for (part of) one code point, 2 chars at most;
     * 0 when a fused unknown token can stand for any run of characters, -1 when an unknown character may give
     * no token at all (no unknown token and no complete byte fallback).
     */
    private final int maxTokenChars;

    /** The ids {@link #encodeWord} can emit besides unk: one-character tokens, byte tokens and merge results. */
    private final BitSet producible;

    private HuggingFaceBpe(Map<String, Integer> vocab, MergeTable merges, BitSet mergeResults, boolean byteFallback,
                           boolean fuseUnknown, boolean ignoreMerges, int unkId) {
        this.vocab = vocab;
        this.merges = merges;
        this.producible = mergeResults;
        this.byteFallback = byteFallback;
        this.fuseUnknown = fuseUnknown;
        this.ignoreMerges = ignoreMerges;
        this.unkId = unkId;
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        boolean everyByte = byteFallback && Arrays.stream(byteIds).allMatch(id -> id >= 0);
        int longest = 2;
        for (String token : vocab.keySet()) longest = Math.max(longest, token.length());
        this.maxTokenChars = everyByte || unkId >= 0 && !fuseUnknown ? longest : unkId >= 0 ? 0 : -1;
        for (int id : byteIds) if (byteFallback && id >= 0) producible.set(id);
        vocab.forEach((token, id) -> {
            if (token.codePointCount(0, token.length()) == 1 && id >= 0) producible.set(id);
        });
    }

    static HuggingFaceBpe fromJson(JsonNode model, String source) {
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new TokenizerException("tokenizer.json " + source + " has a " + type
                    + " model; only BPE is supported");
        }
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (model.hasNonNull(field) && !model.get(field).asText().isEmpty()) {
                throw new TokenizerException("tokenizer.json " + source + ": BPE " + field + " is not supported");
            }
        }
        JsonNode vocabJson = model.path("vocab");
        if (!vocabJson.isObject() || vocabJson.isEmpty()) {
            throw new TokenizerException("tokenizer.json " + source + ": the BPE model has no vocab");
        }
        var vocab = new HashMap<String, Integer>(vocabJson.size() * 2);
        vocabJson.properties().forEach(entry -> vocab.put(entry.getKey(), entry.getValue().asInt()));

        JsonNode mergesJson = model.path("merges");
        var merges = new MergeTable(mergesJson.size());
        var mergeResults = new BitSet();
        for (int rank = 0; rank < mergesJson.size(); rank++) {
            String[] pair = mergePair(mergesJson.get(rank), source);
            Integer left = vocab.get(pair[0]), right = vocab.get(pair[1]), merged = vocab.get(pair[0] + pair[1]);
            if (left == null || right == null || merged == null) {
                throw new TokenizerException("tokenizer.json " + source + ": merge '" + pair[0] + " " + pair[1]
                        + "' uses a token that is not in the vocabulary");
            }
            merges.put(left, right, rank, merged);
            if (merged >= 0) mergeResults.set(merged);
        }
        String unk = model.hasNonNull("unk_token") ? model.get("unk_token").asText() : null;
        if (unk != null && !vocab.containsKey(unk)) {
            throw new TokenizerException("tokenizer.json " + source + ": unk_token '" + unk + "' is not in the vocabulary");
        }
        return new HuggingFaceBpe(vocab, merges, mergeResults, model.path("byte_fallback").asBoolean(false),
                model.path("fuse_unk").asBoolean(false), model.path("ignore_merges").asBoolean(false),
                unk == null ? -1 : vocab.get(unk));
    }

    /** A merge written as {@code "a b"} (older files) or {@code ["a", "b"]}. */
    private static String[] mergePair(JsonNode merge, String source) {
        if (merge.isArray() && merge.size() == 2) return new String[] {merge.get(0).asText(), merge.get(1).asText()};
        if (merge.isTextual()) {
            String[] parts = merge.asText().split(" ", -1);
            if (parts.length == 2) return parts;
        }
        throw new TokenizerException("tokenizer.json " + source + ": malformed merge " + merge);
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    int unkId() {
        return unkId;
    }

    /** A lower bound on the tokens {@link #encodeWord} gives for {@code word}, without merging. */
    long minTokenCount(String word) {
        if (word.isEmpty() || maxTokenChars < 0) return 0;
        return maxTokenChars == 0 ? 1 : Math.ceilDiv(word.length(), maxTokenChars);
    }

    /**
     * Whether {@link #encodeWord} can emit {@code id} for some text other than through the unknown token: a
     * one-character token, a byte token (with byte fallback) or the result of a merge. (With {@code ignore_merges},
     * a whole word found in the vocabulary is emitted as is; that is not counted.)
     */
    boolean canProduce(int id) {
        return id >= 0 && producible.get(id);
    }

    /** Appends the ids of one word: per-character symbols (bytes or unk if unknown), then ranked merges. */
    void encodeWord(String word, IntStream.Builder out) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int[] ids = new int[word.length() * 4];
        int count = 0;
        boolean pendingUnknown = false;
        for (int at = 0; at < word.length(); ) {
            int next = at + Character.charCount(word.codePointAt(at));
            String character = word.substring(at, next);
            at = next;
            Integer id = vocab.get(character);
            int[] bytes = id == null && byteFallback ? byteIdsOf(character) : null;
            if (id != null || bytes != null) {
                if (pendingUnknown) ids[count++] = unkId;
                pendingUnknown = false;
                if (id != null) ids[count++] = id;
                else for (int b : bytes) ids[count++] = b;
            } else if (unkId >= 0) {
                // Unknown character: a run of them becomes one unk when fusing, else one unk each.
                if (pendingUnknown && !fuseUnknown) ids[count++] = unkId;
                pendingUnknown = true;
            }
        }
        if (pendingUnknown) ids[count++] = unkId;

        int[] symbols = Arrays.copyOf(ids, count);
        int[] bounds = IntStream.rangeClosed(0, count).toArray();
        BpeMerger.Symbols merged = BpeMerger.merge(symbols, bounds, (left, right, from, to) -> merges.find(left, right));
        for (int id : merged.ids()) out.add(id);
    }

    /** The {@code <0xNN>} ids of a character's UTF-8 bytes, or null if the vocabulary lacks one of them. */
    private int[] byteIdsOf(String character) {
        byte[] utf8 = character.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            ids[i] = byteIds[utf8[i] & 0xFF];
            if (ids[i] < 0) return null;
        }
        return ids;
    }
}
