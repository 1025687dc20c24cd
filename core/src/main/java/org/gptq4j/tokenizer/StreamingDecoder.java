package org.gptq4j.tokenizer;

/**
 * Turns generated ids into text one id at a time. Each {@link #push} returns only text that is final:
 * a UTF-8 character split over byte-fallback tokens comes out once it is whole, never as a replacement
 * character for a sequence that may still complete. The concatenation of every push and the final
 * {@link #flush} equals {@link Tokenizer#decode} of all the ids. Not thread-safe; one per generation.
 */
public interface StreamingDecoder {
    /** Accepts the next id and returns the text it completes (often empty). */
    String push(int id);

    /** Ends the stream and returns whatever is still held back; bytes that never formed a character become U+FFFD. */
    String flush();
}
