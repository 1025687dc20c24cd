package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model, reproducing the fast tokenizer ({@code tokenizers}
 * crate): added tokens cut out first, then normalizer, Metaspace pre-tokenizer and BPE by merge rank with byte
 * fallback; decoding through the file's decoder with special tokens skipped.
 * <p>BOS, EOS and UNK are not fields of tokenizer.json: BOS is the first special token of the post-processor's
 * single-sequence template (else {@code <s>}), EOS is {@code </s>}, UNK the model's {@code unk_token}
 * (else {@code <unk>}); -1 when absent.
 */
public final class HuggingFaceTokenizer implements Tokenizer {
    private final String source;
    private final HuggingFaceBpe model;
    private final AddedTokens addedTokens;
    private final HuggingFaceNormalizer normalizer;
    private final MetaspacePreTokenizer preTokenizer;
    private final HuggingFaceDecoder decoder;
    private final String[] tokens;
    private final boolean[] special;
    private final int bosId, eosId, unkId;

    private HuggingFaceTokenizer(JsonNode root, String source) {
        this.source = source;
        if (!root.isObject() || !root.has("model")) {
            throw new TokenizerException("tokenizer.json " + source + " has no model");
        }
        model = HuggingFaceBpe.fromJson(root.get("model"), source);
        addedTokens = AddedTokens.fromJson(root.path("added_tokens"));
        normalizer = HuggingFaceNormalizer.fromJson(root.get("normalizer"), source);
        preTokenizer = MetaspacePreTokenizer.fromJson(root.get("pre_tokenizer"), source);
        decoder = HuggingFaceDecoder.fromJson(root.get("decoder"), source);

        // Ids index the token table: each must be >= 0, and the table is no larger than the entries that fill it
        // (vocab and added tokens share ids), so a hostile id cannot make it huge.
        int entries = model.vocab().size() + addedTokens.all().size(), size = 0;
        for (int id : model.vocab().values()) size = Math.max(size, checkedId(id, entries) + 1);
        for (AddedTokens.AddedToken token : addedTokens.all()) size = Math.max(size, checkedId(token.id(), entries) + 1);
        tokens = new String[size];
        special = new boolean[size];
        for (Map.Entry<String, Integer> entry : model.vocab().entrySet()) tokens[entry.getValue()] = entry.getKey();
        for (AddedTokens.AddedToken token : addedTokens.all()) {
            tokens[token.id()] = token.content();
            special[token.id()] = token.special();
        }
        unkId = model.unkId() >= 0 ? model.unkId() : idOrNone("<unk>");
        bosId = templateBos(root.path("post_processor"));
        eosId = idOrNone("</s>");
        requireSpecialTokensOutOfReach();
    }

    /**
     * Refuses a file in which plain text could produce a special token, so that user text could forge the prompt's
     * structure: BOS or EOS not a special added token (e.g. a non-special added {@code <s>} at id 1, which
     * {@link #encode} matches in text), two added tokens with the same content (one special, one not), or a special
     * token the BPE model builds from text (a one-character token or a merge result). Every real Llama tokenizer
     * passes: its special tokens are special added tokens that no merge builds.
     */
    private void requireSpecialTokensOutOfReach() {
        requireSpecial(bosId, "BOS");
        requireSpecial(eosId, "EOS");
        var contents = new java.util.HashSet<String>();
        for (AddedTokens.AddedToken token : addedTokens.all()) {
            if (!contents.add(token.content())) {
                throw new TokenizerException("tokenizer.json " + source + ": the added token '" + token.content()
                        + "' is defined twice; refused (a hostile or broken file)");
            }
            if (token.special() && token.id() != unkId && model.canProduce(token.id())) {
                throw new TokenizerException("tokenizer.json " + source + ": the special token '" + token.content()
                        + "' (id " + token.id() + ") is a one-character token or the result of a merge, so plain text"
                        + " could produce it; refused (a hostile or broken file)");
            }
        }
    }

    private void requireSpecial(int id, String name) {
        if (id == -1 || id >= 0 && id < tokens.length && special[id]) return;
        throw new TokenizerException("tokenizer.json " + source + ": the " + name + " token " + id
                + (id >= 0 && id < tokens.length ? " '" + tokens[id] + "'" : "") + " is not a special added token, so plain text"
                + " could produce it; refused (a hostile or broken file)");
    }

    /** Reads a {@code tokenizer.json}. */
    public static HuggingFaceTokenizer load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new TokenizerException("cannot read tokenizer.json " + file + ": " + e.getMessage(), e);
        }
        if (root == null) throw new TokenizerException("tokenizer.json " + file + " is empty");
        return new HuggingFaceTokenizer(root, file.toString());
    }

    @Override
    public int vocabSize() {
        return tokens.length;
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
        return encode(text, false);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text, true);
    }

    /** The fast tokenizer's pipeline, special tokens parsed or left as text. */
    private int[] encode(String text, boolean parseSpecial) {
        IntStream.Builder out = IntStream.builder();
        split(text, parseSpecial, new Pieces() {
            @Override
            public void token(int id) {
                out.add(id);
            }

            @Override
            public void word(String word) {
                model.encodeWord(word, out);
            }
        });
        return out.build().toArray();
    }

    /** The pipeline up to BPE: one added token, then each word, counted as the fewest tokens it can become. */
    @Override
    public int minTokenCount(String text) {
        long[] count = new long[1];
        split(text, false, new Pieces() {
            @Override
            public void token(int id) {
                count[0]++;
            }

            @Override
            public void word(String word) {
                count[0] += model.minTokenCount(word);
            }
        });
        return (int) Math.min(count[0], Integer.MAX_VALUE);
    }

    /** What the pipeline hands on: added tokens by id and pre-tokenized words for the BPE model, in order. */
    private interface Pieces {
        void token(int id);

        void word(String word);
    }

    /** Added tokens matched in the raw text, then in each normalized stretch between them; the rest as words. */
    private void split(String text, boolean parseSpecial, Pieces out) {
        for (AddedTokens.Segment raw : addedTokens.split(Text.withoutLoneSurrogates(text), 0, false, parseSpecial)) {
            if (raw.isToken()) {
                out.token(raw.tokenId());
                continue;
            }
            String normalized = normalizer.apply(raw.text());
            for (AddedTokens.Segment segment : addedTokens.split(normalized, raw.offset(), true, parseSpecial)) {
                if (segment.isToken()) {
                    out.token(segment.tokenId());
                    continue;
                }
                for (String word : preTokenizer.words(segment.text(), segment.offset() == 0)) out.word(word);
            }
        }
    }

    @Override
    public String decode(int[] ids) {
        StreamingDecoder streaming = newStreamingDecoder();
        var text = new StringBuilder();
        for (int id : ids) text.append(streaming.push(id));
        return text.append(streaming.flush()).toString();
    }

    @Override
    public String piece(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source);
        }
        return tokens[id];
    }

    @Override
    public String pieceText(int id) {
        if (isSpecial(id)) return null;
        String token = tokens[id];
        int b = decoder.byteOf(token);
        return Text.pieceText(b >= 0 ? "" : decoder.replace(token), b);
    }

    @Override
    public OptionalInt id(String piece) {
        for (AddedTokens.AddedToken token : addedTokens.all()) {
            if (token.content().equals(piece)) return OptionalInt.of(token.id());
        }
        Integer id = model.vocab().get(piece);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public boolean isSpecial(int id) {
        piece(id);
        return special[id];
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        return new HuggingFaceStreamingDecoder(this, decoder);
    }

    @Override
    public String toString() {
        return "HuggingFaceTokenizer[" + source + ", " + tokens.length + " tokens]";
    }

    private int checkedId(int id, int entries) {
        if (id < 0 || id >= entries) {
            throw new TokenizerException("tokenizer.json " + source + ": token id " + id + " is outside [0, " + entries
                    + ") (the vocabulary and added tokens hold " + entries + " entries)");
        }
        return id;
    }

    private int idOrNone(String piece) {
        return id(piece).orElse(-1);
    }

    /** The id of the first special token in a TemplateProcessing single-sequence template, else {@code <s>}. */
    private int templateBos(JsonNode postProcessor) {
        for (JsonNode item : postProcessor.path("single")) {
            if (item.has("SpecialToken")) {
                String name = item.get("SpecialToken").path("id").asText();
                JsonNode ids = postProcessor.path("special_tokens").path(name).path("ids");
                return ids.size() > 0 ? ids.get(0).asInt() : idOrNone(name);
            }
            if (item.has("Sequence")) break;
        }
        return idOrNone("<s>");
    }
}
