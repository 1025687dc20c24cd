package org.gptq4j.model;

/** A missing, unreadable or invalid {@code config.json} / quantize config; the message names the file and key. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
