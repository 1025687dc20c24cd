package org.gptq4j.tokenizer;

/** A tokenizer file that is missing, corrupt, or uses a feature this package does not implement. */
public class TokenizerException extends RuntimeException {
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
