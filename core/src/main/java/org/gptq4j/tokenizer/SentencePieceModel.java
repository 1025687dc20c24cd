package org.gptq4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a sentencepiece {@code ModelProto} (tokenizer.model) that encoding and decoding need, parsed
 * by hand from the protobuf wire format. Absent fields take the proto2 defaults of
 * {@code sentencepiece_model.proto}.
 *
 * @param pieces          the vocabulary, indexed by id
 * @param modelType       {@code TrainerSpec.model_type} (field 3): 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR
 * @param byteFallback    {@code TrainerSpec.byte_fallback} (field 35)
 * @param unkId           {@code TrainerSpec.unk_id} (field 40)
 * @param bosId           {@code TrainerSpec.bos_id} (field 41), -1 if disabled
 * @param eosId           {@code TrainerSpec.eos_id} (field 42), -1 if disabled
 * @param padId           {@code TrainerSpec.pad_id} (field 43), -1 if disabled
 * @param whitespaceAsSuffix {@code TrainerSpec.treat_whitespace_as_suffix} (field 24)
 * @param normalizer      {@code ModelProto.normalizer_spec} (field 3)
 */
record SentencePieceModel(List<Piece> pieces, int modelType, boolean byteFallback, int unkId, int bosId, int eosId,
                          int padId, boolean whitespaceAsSuffix, NormalizerSpec normalizer) {

    static final int UNIGRAM = 1, BPE = 2;

    /** {@code ModelProto.SentencePiece}: piece (1), score (2), type (3). */
    record Piece(String text, float score, PieceType type) {}

    /**
     * {@code NormalizerSpec}: name (1), precompiled_charsmap (2), add_dummy_prefix (3),
     * remove_extra_whitespaces (4), escape_whitespaces (5).
     */
    record NormalizerSpec(String name, boolean hasCharsMap, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                          boolean escapeWhitespaces) {}

    static SentencePieceModel parse(byte[] bytes, String source) {
        var pieces = new ArrayList<Piece>();
        var trainer = new TrainerFields();
        NormalizerSpec normalizer = parseNormalizer(null);
        var in = new ProtobufReader(bytes, source);
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag) {
                case 1 << 3 | ProtobufReader.LENGTH_DELIMITED -> pieces.add(parsePiece(in.readMessage()));
                case 2 << 3 | ProtobufReader.LENGTH_DELIMITED -> trainer.parse(in.readMessage());
                case 3 << 3 | ProtobufReader.LENGTH_DELIMITED -> normalizer = parseNormalizer(in.readMessage());
                default -> in.skip(tag & 7);
            }
        }
        if (pieces.isEmpty()) throw new TokenizerException("sentencepiece model " + source + " has no pieces");
        return new SentencePieceModel(List.copyOf(pieces), trainer.modelType, trainer.byteFallback, trainer.unkId,
                trainer.bosId, trainer.eosId, trainer.padId, trainer.whitespaceAsSuffix, normalizer);
    }

    private static Piece parsePiece(ProtobufReader in) {
        String text = null;
        float score = 0;
        int type = PieceType.NORMAL.number;
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (tag) {
                case 1 << 3 | ProtobufReader.LENGTH_DELIMITED -> text = in.readString();
                case 2 << 3 | ProtobufReader.FIXED32 -> score = in.readFloat();
                case 3 << 3 | ProtobufReader.VARINT -> type = in.readInt32();
                default -> in.skip(tag & 7);
            }
        }
        if (text == null || text.isEmpty()) throw in.corrupt("a piece without text");
        return new Piece(text, score, PieceType.of(type));
    }

    /** Reads a NormalizerSpec; {@code null} gives the defaults of an absent spec. */
    private static NormalizerSpec parseNormalizer(ProtobufReader in) {
        String name = "";
        boolean hasCharsMap = false, addDummyPrefix = true, removeExtra = true, escape = true;
        while (in != null && in.hasMore()) {
            int tag = in.readTag();
            switch (tag) {
                case 1 << 3 | ProtobufReader.LENGTH_DELIMITED -> name = in.readString();
                case 2 << 3 | ProtobufReader.LENGTH_DELIMITED -> hasCharsMap = in.readMessage().hasMore();
                case 3 << 3 | ProtobufReader.VARINT -> addDummyPrefix = in.readBool();
                case 4 << 3 | ProtobufReader.VARINT -> removeExtra = in.readBool();
                case 5 << 3 | ProtobufReader.VARINT -> escape = in.readBool();
                default -> in.skip(tag & 7);
            }
        }
        return new NormalizerSpec(name, hasCharsMap, addDummyPrefix, removeExtra, escape);
    }

    /** The TrainerSpec fields that matter at inference time, with their proto2 defaults. */
    private static final class TrainerFields {
        int modelType = UNIGRAM, unkId = 0, bosId = 1, eosId = 2, padId = -1;
        boolean byteFallback, whitespaceAsSuffix;

        void parse(ProtobufReader in) {
            while (in.hasMore()) {
                int tag = in.readTag();
                switch (tag) {
                    case 3 << 3 | ProtobufReader.VARINT -> modelType = in.readInt32();
                    case 24 << 3 | ProtobufReader.VARINT -> whitespaceAsSuffix = in.readBool();
                    case 35 << 3 | ProtobufReader.VARINT -> byteFallback = in.readBool();
                    case 40 << 3 | ProtobufReader.VARINT -> unkId = in.readInt32();
                    case 41 << 3 | ProtobufReader.VARINT -> bosId = in.readInt32();
                    case 42 << 3 | ProtobufReader.VARINT -> eosId = in.readInt32();
                    case 43 << 3 | ProtobufReader.VARINT -> padId = in.readInt32();
                    default -> in.skip(tag & 7);
                }
            }
        }
    }
}
