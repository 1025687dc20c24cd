package org.gptq4j.langchain4j.template;

import java.time.Duration;

/**
 * Bounds on what a model's Jinja {@code chat_template} may cost: the template is written by whoever publishes the
 * model, so loading and rendering it must end promptly, in memory the engine can spare, whatever it says. A template
 * that exceeds a bound is refused with a {@link TemplateLimitException} naming it.
 *
 * @param maxTemplateLength characters of the template source, checked when it is loaded
 * @param maxNestingDepth   how deeply the template may nest: blocks ({@code if}, {@code for}, {@code macro}...) in the
 *                          source and the brackets, operators and filters of one expression, both checked when it is
 *                          loaded; scopes (loops, macro calls) while it renders; and nested lists and maps written by
 *                          {@code tojson}
 * @param maxRenderTime     wall-clock time of one render; checked between the template's nodes, on the rendering
 *                          thread, so nothing runs on after it
 * @param maxOutputLength   characters of the rendered prompt, message texts included
 * @param maxValueSize      the size of any one value a render reads or builds: characters of a string, plus one for
 *                          each list or map and each of their members (a part reached twice counts twice); also the
 *                          longest {@code range()} and the largest list or map
 */
public record TemplateLimits(int maxTemplateLength, int maxNestingDepth, Duration maxRenderTime, int maxOutputLength,
                             int maxValueSize) {

    /**
     * 100,000 characters of source, nesting 64, 2 s a render, 4,000,000 characters of prompt, values of 100,000.
     * Published templates are a few kilobytes, nest fewer than 10 deep and render in milliseconds; message texts
     * enter the template as short placeholders, so its own values stay small.
     */
    public static final TemplateLimits DEFAULT = new TemplateLimits(100_000, 64, Duration.ofSeconds(2), 4_000_000, 100_000);

    public TemplateLimits {
        if (maxTemplateLength < 1 || maxNestingDepth < 1 || maxOutputLength < 1 || maxValueSize < 1
                || maxRenderTime == null || maxRenderTime.isNegative() || maxRenderTime.isZero()) {
            throw new IllegalArgumentException("template limits must be positive: maxTemplateLength " + maxTemplateLength
                    + ", maxNestingDepth " + maxNestingDepth + ", maxRenderTime " + maxRenderTime
                    + ", maxOutputLength " + maxOutputLength + ", maxValueSize " + maxValueSize);
        }
    }

    public TemplateLimits withMaxTemplateLength(int maxTemplateLength) {
        return new TemplateLimits(maxTemplateLength, maxNestingDepth, maxRenderTime, maxOutputLength, maxValueSize);
    }

    public TemplateLimits withMaxNestingDepth(int maxNestingDepth) {
        return new TemplateLimits(maxTemplateLength, maxNestingDepth, maxRenderTime, maxOutputLength, maxValueSize);
    }

    public TemplateLimits withMaxRenderTime(Duration maxRenderTime) {
        return new TemplateLimits(maxTemplateLength, maxNestingDepth, maxRenderTime, maxOutputLength, maxValueSize);
    }

    public TemplateLimits withMaxOutputLength(int maxOutputLength) {
        return new TemplateLimits(maxTemplateLength, maxNestingDepth, maxRenderTime, maxOutputLength, maxValueSize);
    }

    public TemplateLimits withMaxValueSize(int maxValueSize) {
        return new TemplateLimits(maxTemplateLength, maxNestingDepth, maxRenderTime, maxOutputLength, maxValueSize);
    }
}
