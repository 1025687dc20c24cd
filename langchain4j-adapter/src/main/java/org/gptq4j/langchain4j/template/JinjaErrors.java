package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.interpret.CollectionTooBigException;
import com.hubspot.jinjava.interpret.OutputTooBigException;
import com.hubspot.jinjava.interpret.TemplateError;
import java.util.List;
import java.util.Set;
import org.gptq4j.langchain4j.template.TemplateLimitException.Limit;

/** Jinjava's template errors as the {@link ChatTemplateException}s a {@link JinjaChatTemplate} throws. */
final class JinjaErrors {
    /** The tags that would read another template, which is to say a file or a class-path resource. */
    static final Set<String> READING_TAGS = Set.of("include", "import", "from", "extends");
    /** What Jinjava says when a string filter would exceed its maximum string length ({@code maxValueSize}). */
    private static final String STRING_TOO_LONG = "exceeds maximum allowed length";

    private JinjaErrors() {}

    /** The first fatal error of {@code errors}, translated, or null if there is none. */
    static ChatTemplateException firstFatal(List<TemplateError> errors, TemplateLimits limits, TextPlaceholders texts) {
        for (TemplateError error : errors) {
            if (isFatal(error)) return translate(error, limits, texts);
        }
        return null;
    }

    /**
     * Whether {@code error} ends the render: a fatal error, or a value Jinjava cut short at one of its limits (its
     * filters truncate and warn), since a truncated value would be a wrong prompt.
     */
    static boolean isFatal(TemplateError error) {
        if (error.getSeverity() == TemplateError.ErrorType.FATAL) return true;
        if (error.getReason() == TemplateError.ErrorReason.OUTPUT_TOO_BIG
                || error.getReason() == TemplateError.ErrorReason.COLLECTION_TOO_BIG) {
            return true;
        }
        for (Throwable t = error.getException(); t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof OutputTooBigException || t instanceof CollectionTooBigException) return true;
        }
        return false;
    }

    static ChatTemplateException translate(TemplateError error, TemplateLimits limits, TextPlaceholders texts) {
        for (Throwable t = error.getException(); t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof ChatTemplateException e) return e;
            if (t instanceof OutputTooBigException) return outputTooLong(limits);
            if (t instanceof CollectionTooBigException) return valueTooLarge(limits);
        }
        String message = texts == null ? error.getMessage() : texts.expand(String.valueOf(error.getMessage()));
        return switch (error.getReason()) {
            case OUTPUT_TOO_BIG -> outputTooLong(limits);
            case COLLECTION_TOO_BIG -> valueTooLarge(limits);
            case DISABLED -> notAllowed(error);
            default -> message != null && message.contains(STRING_TOO_LONG) ? valueTooLarge(limits)
                    : new ChatTemplateException("chat template failed" + where(error) + ": " + message);
        };
    }

    private static ChatTemplateException notAllowed(TemplateError error) {
        String name = String.valueOf(error.getFieldName());
        String what = switch (error.getItem()) {
            case TAG -> "the tag {% " + name + " %}";
            case FILTER -> "the filter '" + name.substring(name.indexOf(':') + 1) + "'";
            case FUNCTION -> "the function " + name;
            default -> "'" + name + "'";
        };
        String why = error.getItem() == TemplateError.ErrorItem.TAG && READING_TAGS.contains(name)
                ? ": a chat template may not read files or other templates"
                : ", which is outside what chat templates may use";
        return new ChatTemplateException("chat template refused: it uses " + what + why);
    }

    private static String where(TemplateError error) {
        return error.getLineno() > 0 ? " at line " + error.getLineno() : "";
    }

    private static TemplateLimitException outputTooLong(TemplateLimits limits) {
        return new TemplateLimitException(Limit.MAX_OUTPUT_LENGTH, limits.maxOutputLength() + " characters",
                "the template wrote more");
    }

    private static TemplateLimitException valueTooLarge(TemplateLimits limits) {
        return new TemplateLimitException(Limit.MAX_VALUE_SIZE, String.valueOf(limits.maxValueSize()),
                "the template built a larger value");
    }
}
