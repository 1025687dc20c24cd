package org.gptq4j.model;

/** A model folder that is well-formed but asks for something gptq4j does not support; the message says what was found and what is supported. */
public class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
