package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code normalizer} of a tokenizer.json: null, or a {@code Sequence} of {@code Prepend}, {@code Replace}
 * (plain string patterns) and the Unicode normal forms. Anything else is refused when loading.
 *
 * <p>Normalized text is bounded, so that a hostile file cannot amplify text (a {@code Replace} of {@code a} by
 * 11,100 {@code a}s would make every request 11,100 times longer): when loading, a {@code Replace} may not put in
 * more than {@link #MAX_GROWTH} characters per character it takes out (nor have an empty pattern), and a
 * {@code Prepend} no more than {@link #MAX_INSERTED_CHARS}; when encoding, normalized text longer than
 * {@code MAX_GROWTH} times its input plus {@code MAX_INSERTED_CHARS} (which steps in a row could reach) is refused,
 * checked before each step builds it.
 */
final class HuggingFaceNormalizer {
    /** Most characters a normalizer may make of one; Unicode's compatibility forms expand single rare characters more. */
    static final int MAX_GROWTH = 8;
    /** Longest prefix a {@code Prepend} may add (real files prepend one {@code ▁}). */
    static final int MAX_INSERTED_CHARS = 64;

    /** One step: {@code text} normalized, or a refusal when the result would be longer than {@code limit}. */
    private interface Step {
        String apply(String text, long limit);
    }

    private final List<Step> steps;

    private HuggingFaceNormalizer(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    static HuggingFaceNormalizer fromJson(JsonNode json, String source) {
        var steps = new ArrayList<Step>();
        if (json != null && !json.isNull()) addSteps(json, steps, source);
        return new HuggingFaceNormalizer(steps);
    }

    private static void addSteps(JsonNode json, List<Step> steps, String source) {
        String type = json.path("type").asText();
        switch (type) {
            case "Sequence" -> json.path("normalizers").forEach(step -> addSteps(step, steps, source));
            case "Prepend" -> {
                String prefix = json.path("prepend").asText();
                if (prefix.length() > MAX_INSERTED_CHARS) {
                    throw new TokenizerException("tokenizer.json " + source + ": normalizer Prepend of "
                            + prefix.length() + " characters, more than " + MAX_INSERTED_CHARS + "; refused");
                }
                steps.add((s, limit) -> s.isEmpty() ? s : checked(prefix + s, limit, source));
            }
            case "Replace" -> {
                String pattern = Patterns.plainString(json.path("pattern"), "normalizer", source);
                String content = Patterns.replacement(pattern, json.path("content").asText(), "normalizer", source);
                steps.add((s, limit) -> {
                    long grown = (long) occurrences(s, pattern) * (content.length() - pattern.length());
                    checkLength(s.length() + Math.max(0, grown), limit, source);
                    return s.replace(pattern, content);
                });
            }
            case "NFC", "NFD", "NFKC", "NFKD" -> {
                Normalizer.Form form = Normalizer.Form.valueOf(type);
                steps.add((s, limit) -> checked(Normalizer.normalize(s, form), limit, source));
            }
            default -> throw new TokenizerException("tokenizer.json " + source + ": normalizer " + type
                    + " is not supported (only Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD)");
        }
    }

    /**
     * {@code text} normalized.
     *
     * @throws TokenizerException when the normalized text would be longer than {@link #MAX_GROWTH} times
     *                            {@code text} plus {@link #MAX_INSERTED_CHARS}
     */
    String apply(String text) {
        long limit = (long) MAX_GROWTH * text.length() + MAX_INSERTED_CHARS;
        for (Step step : steps) text = step.apply(text, limit);
        return text;
    }

    private static int occurrences(String text, String pattern) {
        int count = 0;
        for (int at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, at + pattern.length())) count++;
        return count;
    }

    private static String checked(String normalized, long limit, String source) {
        checkLength(normalized.length(), limit, source);
        return normalized;
    }

    private static void checkLength(long length, long limit, String source) {
        if (length > limit) {
            throw new TokenizerException("tokenizer.json " + source + ": the normalizer would make " + length
                    + " characters of text allowed at most " + limit + " (" + MAX_GROWTH + " per input character plus "
                    + MAX_INSERTED_CHARS + "); refused");
        }
    }

    /** Reading the {@code {"String": "..."}} patterns of Replace normalizers and decoders. */
    static final class Patterns {
        private Patterns() {}

        static String plainString(JsonNode pattern, String component, String source) {
            if (pattern.hasNonNull("String")) return pattern.get("String").asText();
            throw new TokenizerException("tokenizer.json " + source + ": " + component
                    + " Replace with pattern " + pattern + " is not supported (only plain strings)");
        }

        /**
         * {@code content}, if a Replace of {@code pattern} by it grows text at most {@link #MAX_GROWTH} times (and
         * the pattern is not empty, which would put {@code content} between every two characters).
         */
        static String replacement(String pattern, String content, String component, String source) {
            if (pattern.isEmpty() || content.length() > (long) MAX_GROWTH * pattern.length()) {
                throw new TokenizerException("tokenizer.json " + source + ": " + component + " Replace of "
                        + pattern.length() + " characters by " + content.length() + " is refused: it may put in at"
                        + " most " + MAX_GROWTH + " characters for each it takes out, from a non-empty pattern");
            }
            return content;
        }
    }
}
