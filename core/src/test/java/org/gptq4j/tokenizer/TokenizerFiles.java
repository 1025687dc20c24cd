package org.gptq4j.tokenizer;

import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The fixture tokenizer files: each {@code tokenizer.model} and {@code tokenizer.json}, loaded once. */
final class TokenizerFiles {
    private TokenizerFiles() {}

    /** (label, tokenizer, reference cases) for every fixture file. */
    static Stream<Arguments> all() {
        return Stream.of(
                Arguments.of(EncodingCases.FIREFLY + "/tokenizer.model", SentencePieceParityTest.model(EncodingCases.FIREFLY), EncodingCases.of(EncodingCases.FIREFLY)),
                Arguments.of(EncodingCases.LLAMA2 + "/tokenizer.model", SentencePieceParityTest.model(EncodingCases.LLAMA2), EncodingCases.of(EncodingCases.LLAMA2)),
                Arguments.of(EncodingCases.STORIES + "/tokenizer.model", SentencePieceParityTest.model(EncodingCases.STORIES), EncodingCases.of(EncodingCases.STORIES)),
                Arguments.of(EncodingCases.FIREFLY + "/tokenizer.json", HuggingFaceParityTest.json(EncodingCases.FIREFLY), EncodingCases.of(EncodingCases.FIREFLY)),
                Arguments.of(EncodingCases.STORIES + "/tokenizer.json", HuggingFaceParityTest.json(EncodingCases.STORIES), EncodingCases.of(EncodingCases.STORIES)));
    }
}
