package org.gptq4j.model;

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
            throw new ConfigException("rope_scaling factor must be >= 1.0, got " + factor);
        }
    }
}
