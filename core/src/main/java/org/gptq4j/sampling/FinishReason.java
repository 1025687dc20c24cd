package org.gptq4j.sampling;

/** Why a generated sequence ended; maps one to one onto OpenAI's and LangChain4j's finish reasons. */
public enum FinishReason {
    /** The model produced an end-of-sequence token or another token of {@link SamplingParameters#stopTokenIds()}. */
    STOP,
    /** The text ended with one of {@link SamplingParameters#stopSequences()}; the stop text itself is not emitted. */
    STOP_SEQUENCE,
    /** {@link SamplingParameters#maxNewTokens()} tokens were generated (or the context window is full). */
    LENGTH,
    /** The caller cancelled the generation. */
    CANCELLED,
    /** Generation failed; the error is reported alongside. */
    ERROR
}
