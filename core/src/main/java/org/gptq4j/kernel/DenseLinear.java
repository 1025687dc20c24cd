package org.gptq4j.kernel;

import org.gptq4j.io.Tensor;

/**
 * An unquantized linear layer over a {@code [out, in]} F16/BF16/F32 weight tensor, read in place from the mapped file
 * (zero copy): the lm_head, tied embeddings, and every layer of unquantized checkpoints.
 */
public final class DenseLinear implements Linear {
    private final Tensor weight;
    private final float[] bias;
    private final int in, out;

    public DenseLinear(Tensor weight, float[] bias) {
        if (weight.rank() != 2) throw new IllegalArgumentException(weight + " is not a matrix");
        this.weight = weight;
        this.out = weight.dim(0);
        this.in = weight.dim(1);
        if (bias != null && bias.length != out) throw new IllegalArgumentException("bias of " + weight.name() + " has " + bias.length + " entries, expected " + out);
        this.bias = bias;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public long weightBytes() {
        return weight.data().byteSize();
    }

    @Override
    public void apply(float[] x, float[] y, int rows, ComputePool pool) {
        pool.parallelFor(out, (start, end) -> {
            float[] w = new float[in];
            for (int n = start; n < end; n++) {
                // w = W[n, :] as floats, read once and used for every row of the batch
                long base = (long) n * in;
                for (int k = 0; k < in; k++) w[k] = weight.getFloat(base + k);
                float b = bias == null ? 0f : bias[n];
                for (int r = 0; r < rows; r++) y[r * out + n] = VectorMath.dot(w, 0, x, r * in, in) + b;
            }
        });
    }
}
