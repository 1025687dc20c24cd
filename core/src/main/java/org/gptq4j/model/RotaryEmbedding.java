package org.gptq4j.model;

/**
 * Rotary position embeddings in the Hugging Face half-split layout: dimension i pairs with i + d/2.
 * Frequencies follow transformers in float32, including its linear, dynamic-NTK and llama3 scalings.
 */
final class RotaryEmbedding {
    private final int headDim;
    private final double theta;
    private final RopeScaling scaling;
    private final int maxPositions;
    private final float[] invFreq;

    RotaryEmbedding(LlamaConfig config) {
        this.headDim = config.headDim();
        this.theta = config.ropeTheta();
        this.scaling = config.ropeScaling();
        this.maxPositions = config.maxPositionEmbeddings();
        this.invFreq = inverseFrequencies(theta);
    }

    /** inv_freq[i] = 1 / theta^(2i/d), adjusted by the scaling type. */
    private float[] inverseFrequencies(double base) {
        int half = headDim / 2;
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            f[i] = (float) (1.0 / Math.pow(base, (2.0 * i) / headDim));
        }
        switch (scaling.type()) {
            case LINEAR -> {
                for (int i = 0; i < half; i++) f[i] = (float) (f[i] / scaling.factor());
            }
            case LLAMA3 -> {
                double old = scaling.originalMaxPositions();
                double lowWavelen = old / scaling.lowFreqFactor(), highWavelen = old / scaling.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / f[i];
                    if (wavelen > lowWavelen) {
                        f[i] = (float) (f[i] / scaling.factor());
                    } else if (wavelen >= highWavelen) {
                        double smooth = (old / wavelen - scaling.lowFreqFactor()) / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                        f[i] = (float) ((1 - smooth) * f[i] / scaling.factor() + smooth * f[i]);
                    }
                }
            }
            default -> { }
        }
        return f;
    }

    /** The frequencies for a sequence of {@code seqLen} positions (dynamic NTK grows the base past the trained length). */
    float[] frequencies(int seqLen) {
        if (scaling.type() != RopeScaling.Type.DYNAMIC || seqLen <= maxPositions) return invFreq;
        double factor = scaling.factor();
        double base = theta * Math.pow(factor * seqLen / maxPositions - (factor - 1), headDim / (headDim - 2.0));
        return inverseFrequencies(base);
    }

    /** Rotates {@code heads} consecutive head vectors of {@code v} (from {@code offset}) to position {@code pos}. */
    void rotate(float[] v, int offset, int heads, int pos, float[] freq) {
        int half = headDim / 2;
        for (int i = 0; i < half; i++) {
            float angle = (float) pos * freq[i]; // float32 product, as transformers computes it
            float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
            for (int h = 0; h < heads; h++) {
                int a = offset + h * headDim + i, b = a + half;
                float x0 = v[a], x1 = v[b];
                // [x0, x1] -> [x0 cos - x1 sin, x1 cos + x0 sin]
                v[a] = x0 * cos - x1 * sin;
                v[b] = x1 * cos + x0 * sin;
            }
        }
    }
}
