package org.gptq4j.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Explains a {@link GptqPropertyException} at startup: the property, its value, what is wrong and which values are
 * allowed. Ordered first so that Spring Boot's generic bind-failure analysis (which would only say that binding
 * {@code langchain4j.gptq.chat-model} failed) does not hide it.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
public class GptqFailureAnalyzer extends AbstractFailureAnalyzer<GptqPropertyException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, GptqPropertyException cause) {
        String value = cause.value() == null ? "(not set)" : "'" + cause.value() + "'";
        String description = "The gptq4j model could not be set up: property '" + cause.property() + "' has value "
                + value + ".\n\nReason: " + reason(cause);
        String action = "Update '" + cause.property() + "' in your application's configuration. Allowed: "
                + cause.allowed();
        return new FailureAnalysis(description, action, cause);
    }

    private static String reason(GptqPropertyException cause) {
        String message = cause.getMessage();
        String prefix = cause.property() + "=" + cause.value() + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
}
