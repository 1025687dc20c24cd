package org.gptq4j.langchain4j.constraint;

/**
 * Bounds that keep constrained output finite where the schema sets none: without them a model could write
 * an endless string or array and never reach the closing brace. A schema's own {@code maxLength} and
 * {@code maxItems} take precedence.
 *
 * @param maxStringLength characters in a string without {@code maxLength}
 * @param maxArrayItems   items in an array without {@code maxItems}, and members of an object without
 *                        {@code properties}
 * @param maxDepth        container nesting of free-form JSON (JSON mode without a schema)
 * @param maxNumberDigits digits in the integer part, the fraction and the exponent of a number, each
 *                        (JSON Schema's numeric ranges are not enforced: this bound is what keeps an
 *                        {@code integer} inside the Java {@code int} of a tool method's parameter)
 */
public record GrammarLimits(int maxStringLength, int maxArrayItems, int maxDepth, int maxNumberDigits) {

    /** 64 characters, 8 items or members, depth 3, 9 digits (every integer fits a Java {@code int}). */
    public static final GrammarLimits DEFAULT = new GrammarLimits(64, 8, 3, 9);

    public GrammarLimits {
        if (maxStringLength < 1 || maxArrayItems < 1 || maxDepth < 0 || maxNumberDigits < 1) {
            throw new IllegalArgumentException("grammar limits must be positive: " + maxStringLength + ", "
                    + maxArrayItems + ", " + maxDepth + ", " + maxNumberDigits);
        }
    }
}
