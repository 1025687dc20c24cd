package org.gptq4j.bench;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.Linear;

/**
 * The copies of one layer a benchmark cycles through (distinct weights, so that a large last-level cache does not
 * serve every call), with the compute pool and the activation buffers of one call.
 */
final class LayerRotation implements AutoCloseable {
    private final Linear[] layers;
    private final ComputePool pool;
    private final int rows;
    private final float[] x, y;
    private int next;

    LayerRotation(Linear[] layers, int rows, int threads) {
        this.layers = layers;
        this.rows = rows;
        this.pool = new ComputePool(BenchParams.threads(threads));
        this.x = RandomGptqLayer.activations(rows, layers[0].inFeatures(), 7);
        this.y = new float[rows * layers[0].outFeatures()];
    }

    /** One call on the next copy: y = x W^T for {@code rows} rows, counted in {@code traffic}. */
    float[] apply(WeightTraffic traffic) {
        Linear layer = layers[next];
        if (++next == layers.length) next = 0;
        layer.apply(x, y, rows, pool);
        traffic.add(layer.weightBytes(), rows, layer.inFeatures(), layer.outFeatures());
        return y;
    }

    /** "N copies of B bytes, T threads": the line each benchmark prints at setup. */
    String describe() {
        int n = layers.length;
        return n + " cop" + (n == 1 ? "y" : "ies") + " of " + layers[0].weightBytes() + " bytes, " + pool.threads() + " threads";
    }

    @Override
    public void close() {
        pool.close();
    }
}
