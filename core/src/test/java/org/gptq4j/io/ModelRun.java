package org.gptq4j.io;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.KvLayout;
import org.gptq4j.kv.KvPrecision;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaModel;

import java.nio.file.Path;

/** Loads a model folder and returns its logits for a token sequence, one row of {@code vocab} floats per position. */
final class ModelRun {
    private ModelRun() {}

    /**
     * The logits over a float32 KV cache whatever the kernels' own precision, so that runs of differently stored
     * weights differ only by their weights: an F16 cache rounds each key and value once, which can turn a summation
     * order's 1e-6 into 1e-4 in the logits.
     */
    static float[][] logits(Path folder, int[] ids) {
        try (LlamaModel model = LlamaModel.load(folder);
             PagedKvCache cache = new PagedKvCache(float32(model.kvLayout(16, 8)));
             ComputePool pool = new ComputePool(2)) {
            KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
            BlockTable table = new BlockTable();
            blocks.reserve(table, ids.length);
            float[] flat = model.forward(ForwardBatch.prefill(ids, 0, table, true), cache, pool);
            blocks.free(table);
            int vocab = model.config().vocabSize();
            float[][] rows = new float[ids.length][];
            for (int i = 0; i < ids.length; i++) rows[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
            return rows;
        }
    }

    private static KvLayout float32(KvLayout l) {
        return new KvLayout(l.layers(), l.kvHeads(), l.headDim(), l.blockSize(), l.blocks(), KvPrecision.F32);
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /** The gap between the best and the second-best logit. */
    static float margin(float[] row) {
        int best = argmax(row);
        float second = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < row.length; i++) if (i != best) second = Math.max(second, row[i]);
        return row[best] - second;
    }
}
