package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.params.provider.Arguments;

/** The reference encodings of a fixture tokenizer ({@code encodings.json}), one {@link Case} per text. */
record EncodingCases(int vocabSize, int bosId, int eosId, int unkId, List<Case> cases) {

    static final String FIREFLY = "firefly-chinese-llama-alpaca-2", LLAMA2 = "llama2", STORIES = "stories-tok512";

    /** One text and what sentencepiece and the Hugging Face fast tokenizer made of it. */
    record Case(String text, int[] sentencepieceIds, List<String> sentencepiecePieces, String sentencepieceDecoded, int[] hfIdsWithSpecial,
                String hfDecoded) {
        @Override
        public String toString() {
            return '"' + text.replace("\n", "\\n").replace("\t", "\\t") + '"';
        }
    }

    static Path folder(String tokenizer) {
        return Fixtures.tokenizer(tokenizer);
    }

    static EncodingCases of(String tokenizer) {
        try {
            JsonNode root = new ObjectMapper().readTree(folder(tokenizer).resolve("encodings.json").toFile());
            var cases = new ArrayList<Case>();
            for (JsonNode c : root.get("cases")) {
                var pieces = new ArrayList<String>();
                c.get("sentencepiece_pieces").forEach(piece -> pieces.add(piece.asText()));
                cases.add(new Case(c.get("text").asText(), ints(c.get("sentencepiece_ids")), List.copyOf(pieces),
                        c.get("sentencepiece_decoded").asText(), ints(c.get("hf_fast_ids_with_special")),
                        c.get("hf_fast_decoded").asText()));
            }
            return new EncodingCases(root.get("vocab_size").asInt(), root.get("bos_id").asInt(),
                    root.get("eos_id").asInt(), root.get("unk_id").asInt(), List.copyOf(cases));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** (tokenizer name, case) for every case of the named tokenizers, for parameterized tests. */
    static Stream<Arguments> arguments(String... tokenizers) {
        return Stream.of(tokenizers).flatMap(name -> of(name).cases().stream().map(c -> Arguments.of(name, c)));
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) values[i] = array.get(i).asInt();
        return values;
    }
}
