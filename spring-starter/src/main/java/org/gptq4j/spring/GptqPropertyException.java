package org.gptq4j.spring;

import java.util.Objects;

/**
 * A {@code langchain4j.gptq.*} setting that cannot work: a value out of range, a model that is not there, a branch
 * the Hub does not know, offline mode with nothing cached. It names the property, the value and what is allowed, so
 * that {@link GptqFailureAnalyzer} can tell the person starting the application what to change.
 */
public class GptqPropertyException extends RuntimeException {
    private final String property;
    private final transient Object value;
    private final String allowed;

    /**
     * @param property the full property name, e.g. {@code langchain4j.gptq.chat-model.temperature}
     * @param value    the value in force (shown as is; never pass a secret)
     * @param reason   what is wrong, for a person
     * @param allowed  the values that would work, for a person
     */
    public GptqPropertyException(String property, Object value, String reason, String allowed) {
        this(property, value, reason, allowed, null);
    }

    public GptqPropertyException(String property, Object value, String reason, String allowed, Throwable cause) {
        super(property + "=" + value + ": " + reason, cause);
        this.property = Objects.requireNonNull(property, "property");
        this.value = value;
        this.allowed = Objects.requireNonNull(allowed, "allowed");
    }

    /** The full property name. */
    public String property() {
        return property;
    }

    /** The value in force, possibly {@code null} (not set). */
    public Object value() {
        return value;
    }

    /** The values that would work. */
    public String allowed() {
        return allowed;
    }
}
