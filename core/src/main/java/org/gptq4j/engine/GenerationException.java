package org.gptq4j.engine;

/** A generation failed inside the engine (a forward pass, or sampling); the cause says why. */
public final class GenerationException extends RuntimeException {
    GenerationException(String message, Throwable cause) {
        super(message, cause);
    }
}
