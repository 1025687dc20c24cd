package org.gptq4j.kernel;

/**
 * A linear layer {@code y = x W^T + b} applied to a batch of rows: {@code x} is {@code [rows, inFeatures]},
 * {@code y} is {@code [rows, outFeatures]}, both row-major. Implementations read their weights once per call,
 * whatever the number of rows, so a batch of sequences shares one pass over the weights.
 */
public interface Linear {
    int inFeatures();

    int outFeatures();

    void apply(float[] x, float[] y, int rows, ComputePool pool);

    /** Bytes of weights read per call (for bandwidth figures). */
    long weightBytes();
}
