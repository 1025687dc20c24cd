package org.gptq4j.kernel;

import java.util.List;

/**
 * Linear layers that read the same input, applied together: Llama's q, k and v projections, its gate and up
 * projections. GPTQ tooling quantizes such layers with one act-order permutation (their Hessians come from the same
 * inputs), so the group quantizes the input once and runs every layer's products in one parallel loop over their
 * outputs laid end to end: one pass over the activations and two thread hand-offs instead of two per layer. Each output
 * has the same bits as applying its layer alone. Layers that do not share an activation layout (or are not GPTQ
 * layers on an int8 backend) are applied one by one.
 */
public final class LinearGroup {
    private final Linear[] parts;
    private final GptqLinear[] fused; // the parts, when they share one quantization; else null
    private final int[] start;        // output n of part p is n - start[p] of the concatenation, start[p] <= n < start[p+1]

    private LinearGroup(Linear[] parts) {
        this.parts = parts;
        this.fused = sharedLayout(parts);
        this.start = new int[parts.length + 1];
        for (int p = 0; p < parts.length; p++) {
            if (parts[p].inFeatures() != parts[0].inFeatures()) {
                throw new IllegalArgumentException("layers of a group read the same input: " + parts[p].inFeatures()
                        + " input features against " + parts[0].inFeatures());
            }
            start[p + 1] = start[p] + parts[p].outFeatures();
        }
    }

    public static LinearGroup of(Linear... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("a group needs at least one layer");
        return new LinearGroup(parts.clone());
    }

    private static GptqLinear[] sharedLayout(Linear[] parts) {
        GptqLinear[] g = new GptqLinear[parts.length];
        for (int p = 0; p < parts.length; p++) {
            if (!(parts[p] instanceof GptqLinear q) || !q.sharesActivations((GptqLinear) parts[0])) return null;
            g[p] = q;
        }
        return g;
    }

    public List<Linear> parts() {
        return List.of(parts);
    }

    /** Whether the layers share one quantization of their input and one parallel loop. */
    public boolean fused() {
        return fused != null;
    }

    /** {@code ys[p] = x W_p^T + b_p} for every layer p: {@code x} is {@code [rows][in]}, {@code ys[p]} {@code [rows][out_p]}. */
    public void apply(float[] x, int rows, ComputePool pool, float[]... ys) {
        if (ys.length != parts.length) throw new IllegalArgumentException(parts.length + " layers need as many outputs, got " + ys.length);
        if (fused == null) {
            for (int p = 0; p < parts.length; p++) parts[p].apply(x, ys[p], rows, pool);
            return;
        }
        GptqLinear.Planes planes = fused[0].quantize(x, rows, pool);
        long work = (long) rows * fused[0].packed().nb() * 32 * start[parts.length];
        pool.parallelFor(start[parts.length], work, (n0, n1) -> {
            for (int p = 0; p < fused.length; p++) {
                int a = Math.max(n0, start[p]), b = Math.min(n1, start[p + 1]);
                if (a < b) fused[p].multiply(planes, rows, ys[p], a - start[p], b - start[p]);
            }
        });
    }
}
