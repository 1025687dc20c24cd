package org.gptq4j.tokenizer;

/** sentencepiece's {@code SentencePiece.Type}, with its protobuf enum numbers. */
enum PieceType {
    NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

    final int number;

    PieceType(int number) {
        this.number = number;
    }

    static PieceType of(int number) {
        for (PieceType type : values()) if (type.number == number) return type;
        throw new TokenizerException("unknown sentencepiece piece type " + number);
    }

    /** Types whose pieces BPE may produce from text (sentencepiece's {@code pieces_} map). */
    boolean isMergeable() {
        return this == NORMAL || this == USER_DEFINED || this == UNUSED;
    }
}
