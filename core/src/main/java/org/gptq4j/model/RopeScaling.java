package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How rotary position embeddings are scaled beyond the trained context, as transformers names it:
 * {@code none}, {@code linear} (positions divided by factor), {@code dynamic} (NTK: the base grows once the
 * sequence outgrows {@code max_position_embeddings}) or {@code llama3} (per-frequency smoothing).
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {

    public enum Type { NONE, LINEAR, DYNAMIC, LLAMA3 }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1.0, 1.0, 4.0, 8192);

    public RopeScaling {
        if (type != Type.NONE && !(factor >= 1.0)) {
            throw new ConfigException("rope scaling factor must be >= 1.0, got " + factor);
        }
    }

    /**
     * Reads a {@code rope_scaling} or {@code rope_parameters} object ({@code null} means none). The type is
     * {@code rope_type}, or the older {@code type}. Required keys are those transformers'
     * {@code rope_config_validation} requires: {@code factor} for linear and dynamic; factor,
     * {@code low_freq_factor}, {@code high_freq_factor} and {@code original_max_position_embeddings} for llama3.
     */
    static RopeScaling parse(JsonNode node, String source, int maxPositions) {
        if (node == null || node.isNull()) return NONE;
        if (!node.isObject()) throw new ConfigException(source + " must be an object or null, got " + node);
        JsonFiles.Keys k = new JsonFiles.Keys(node, source);
        String type = k.text("rope_type", k.text("type", "default"));
        RopeScaling scaling = switch (type) {
            case "default" -> NONE;
            case "linear" -> new RopeScaling(Type.LINEAR, factor(k), 1, 4, maxPositions);
            case "dynamic" -> new RopeScaling(Type.DYNAMIC, factor(k), 1, 4, maxPositions);
            case "llama3" -> new RopeScaling(Type.LLAMA3, factor(k),
                    k.requiredPositiveDouble("low_freq_factor"), k.requiredPositiveDouble("high_freq_factor"),
                    k.requiredPositiveInt("original_max_position_embeddings"));
            default -> throw new UnsupportedModelException(source + ": rope scaling type '" + type
                    + "' is not supported (supported: default, linear, dynamic, llama3)");
        };
        if (scaling.type == Type.LLAMA3 && !(scaling.highFreqFactor > scaling.lowFreqFactor)) {
            throw new ConfigException(source + ": high_freq_factor " + scaling.highFreqFactor + " must exceed low_freq_factor "
                    + scaling.lowFreqFactor);
        }
        return scaling;
    }

    /** transformers only warns about a factor below 1; it would shrink positions, which no checkpoint means. */
    private static double factor(JsonFiles.Keys k) {
        double factor = k.requiredPositiveDouble("factor");
        if (factor < 1.0) throw new ConfigException(k.source() + ": factor must be >= 1.0, got " + factor);
        return factor;
    }
}
