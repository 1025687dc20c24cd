package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The {@code normalizer} of a tokenizer.json: null, or a {@code Sequence} of {@code Prepend}, {@code Replace}
 * (plain string patterns) and the Unicode normal forms. Anything else is refused when loading.
 */
final class HuggingFaceNormalizer {
    private final List<UnaryOperator<String>> steps;

    private HuggingFaceNormalizer(List<UnaryOperator<String>> steps) {
        this.steps = List.copyOf(steps);
    }

    static HuggingFaceNormalizer fromJson(JsonNode json, String source) {
        var steps = new ArrayList<UnaryOperator<String>>();
        if (json != null && !json.isNull()) addSteps(json, steps, source);
        return new HuggingFaceNormalizer(steps);
    }

    private static void addSteps(JsonNode json, List<UnaryOperator<String>> steps, String source) {
        String type = json.path("type").asText();
        switch (type) {
            case "Sequence" -> json.path("normalizers").forEach(step -> addSteps(step, steps, source));
            case "Prepend" -> {
                String prefix = json.path("prepend").asText();
                steps.add(s -> s.isEmpty() ? s : prefix + s);
            }
            case "Replace" -> {
                String pattern = Patterns.plainString(json.path("pattern"), "normalizer", source);
                String content = json.path("content").asText();
                steps.add(s -> s.replace(pattern, content));
            }
            case "NFC", "NFD", "NFKC", "NFKD" -> {
                Normalizer.Form form = Normalizer.Form.valueOf(type);
                steps.add(s -> Normalizer.normalize(s, form));
            }
            default -> throw new TokenizerException("tokenizer.json " + source + ": normalizer " + type
                    + " is not supported (only Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD)");
        }
    }

    String apply(String text) {
        for (UnaryOperator<String> step : steps) text = step.apply(text);
        return text;
    }

    /** Reading the {@code {"String": "..."}} patterns of Replace normalizers and decoders. */
    static final class Patterns {
        private Patterns() {}

        static String plainString(JsonNode pattern, String component, String source) {
            if (pattern.hasNonNull("String")) return pattern.get("String").asText();
            throw new TokenizerException("tokenizer.json " + source + ": " + component
                    + " Replace with pattern " + pattern + " is not supported (only plain strings)");
        }
    }
}
