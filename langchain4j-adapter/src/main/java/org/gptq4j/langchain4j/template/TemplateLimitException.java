package org.gptq4j.langchain4j.template;

/**
 * A chat template that exceeds one of its {@link TemplateLimits}, when loaded or while rendering. The message names
 * the bound by its {@link TemplateLimits} component name and gives its value; {@link #limit()} gives it to code.
 */
public final class TemplateLimitException extends ChatTemplateException {

    /** The bound exceeded, named as the {@link TemplateLimits} component that sets it. */
    public enum Limit {
        MAX_TEMPLATE_LENGTH("maxTemplateLength"),
        MAX_NESTING_DEPTH("maxNestingDepth"),
        MAX_RENDER_TIME("maxRenderTime"),
        MAX_OUTPUT_LENGTH("maxOutputLength"),
        MAX_VALUE_SIZE("maxValueSize");

        private final String limitName;

        Limit(String limitName) {
            this.limitName = limitName;
        }

        /** The {@link TemplateLimits} component, e.g. {@code maxRenderTime}. */
        public String limitName() {
            return limitName;
        }
    }

    private final Limit limit;

    TemplateLimitException(Limit limit, String allowed, String what) {
        super("chat template exceeds " + limit.limitName() + " (" + allowed + "): " + what);
        this.limit = limit;
    }

    public Limit limit() {
        return limit;
    }
}
