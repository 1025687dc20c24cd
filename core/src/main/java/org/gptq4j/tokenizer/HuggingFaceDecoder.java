package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code decoder} of a tokenizer.json, in the shape Llama-style files use:
 * {@code Sequence[Replace*, ByteFallback?, Fuse?, Strip?]} in that order, where Strip (after Fuse, so applied to
 * the whole text) removes up to {@code start} leading {@code content} characters and nothing at the end.
 * Other decoders are refused when loading.
 *
 * @param replacements  string replacements applied to each non-byte token, in order
 * @param byteFallback  whether runs of {@code <0xNN>} tokens are assembled into UTF-8
 * @param stripChar     the character Strip removes
 * @param stripCount    how many leading {@code stripChar} Strip removes at most (0: no Strip)
 */
record HuggingFaceDecoder(List<Replacement> replacements, boolean byteFallback, char stripChar, int stripCount) {

    /** A {@code Replace} decoder with a plain string pattern. */
    record Replacement(String pattern, String content) {}

    static HuggingFaceDecoder fromJson(JsonNode json, String source) {
        if (json == null || json.isNull()) {
            throw new TokenizerException("tokenizer.json " + source + " has no decoder, which is not supported");
        }
        List<JsonNode> steps = new ArrayList<>();
        if (json.path("type").asText().equals("Sequence")) json.path("decoders").forEach(steps::add);
        else steps.add(json);

        var replacements = new ArrayList<Replacement>();
        boolean byteFallback = false, fused = false;
        char stripChar = ' ';
        int stripCount = 0;
        int stage = 0; // 0 Replace, 1 ByteFallback, 2 Fuse, 3 Strip: stages must not go backwards
        for (JsonNode step : steps) {
            String type = step.path("type").asText();
            int stepStage = switch (type) {
                case "Replace" -> 0;
                case "ByteFallback" -> 1;
                case "Fuse" -> 2;
                case "Strip" -> 3;
                default -> throw unsupported(source, "decoder " + type);
            };
            if (stepStage < stage || stepStage > 0 && stepStage == stage) {
                throw unsupported(source, "decoder order " + json.path("decoders"));
            }
            stage = stepStage;
            switch (type) {
                case "Replace" -> {
                    String pattern = HuggingFaceNormalizer.Patterns.plainString(step.path("pattern"), "decoder", source);
                    replacements.add(new Replacement(pattern, HuggingFaceNormalizer.Patterns.replacement(pattern,
                            step.path("content").asText(), "decoder", source)));
                }
                case "ByteFallback" -> byteFallback = true;
                case "Fuse" -> fused = true;
                default -> {
                    String content = step.path("content").asText(" ");
                    if (!fused || step.path("stop").asInt(0) != 0 || content.length() != 1) {
                        throw unsupported(source, "Strip decoder " + step + " (only leading strip after Fuse)");
                    }
                    stripChar = content.charAt(0);
                    stripCount = step.path("start").asInt(0);
                }
            }
        }
        return new HuggingFaceDecoder(List.copyOf(replacements), byteFallback, stripChar, stripCount);
    }

    /** A non-byte token's text after the Replace decoders. */
    String replace(String token) {
        for (Replacement r : replacements) token = token.replace(r.pattern(), r.content());
        return token;
    }

    /** The byte a {@code <0xNN>} token stands for when ByteFallback applies, else -1. */
    int byteOf(String token) {
        if (!byteFallback || token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') return -1;
        int high = Character.digit(token.charAt(3), 16), low = Character.digit(token.charAt(4), 16);
        return high < 0 || low < 0 ? -1 : high << 4 | low;
    }

    private static TokenizerException unsupported(String source, String what) {
        return new TokenizerException("tokenizer.json " + source + ": " + what + " is not supported");
    }
}
