package org.gptq4j.kernel;

import org.gptq4j.kv.KvLayout;
import org.gptq4j.kv.KvPrecision;
import org.gptq4j.kv.PagedKvCache;

import java.util.Arrays;

/**
 * Causal attention of one head of one token over the keys and values of its sequence in a paged KV cache:
 * <pre>
 *   s_p = (q . k_p) / sqrt(hd),   w_p = softmax_p(s),   out = sum_p w_p v_p,   p in [0, pos]
 * </pre>
 * Position p's vector is where the cache's {@link KvLayout} puts it, from {@code base} (the layer's first element plus
 * the head's offset). {@link Kernels#attend} runs it: the native kernels in C (the head dimension in 8-lane FMAs, four
 * chains), the others with the Vector API here. Either way a token's head is computed alone, so its result does not depend on the batch around
 * it.
 */
public final class Attention {
    private Attention() {}

    /** The scale of the scores, {@code 1 / sqrt(hd)}, the same float for every kernel. */
    static float scale(int hd) {
        return (float) (1.0 / Math.sqrt(hd));
    }

    /** The Vector API version ({@link Kernels#attend} has the parameters), run by the {@link VectorApiKernels}. */
    static void vector(PagedKvCache kv, long base, int[] blocks, int hd, int pos, float[] q, int qo, float[] scores,
                       float[] out, int oo) {
        float scale = scale(hd);
        KvLayout layout = kv.layout();
        boolean f32 = layout.precision() == KvPrecision.F32;
        float max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p <= pos; p++) {
            long k = layout.offset(base, blocks, p);
            scores[p] = (f32 ? VectorMath.dot(q, qo, kv.keys(), k, hd) : halfDot(q, qo, kv, k, hd)) * scale;
            max = Math.max(max, scores[p]);
        }
        float sum = 0;
        for (int p = 0; p <= pos; p++) {
            scores[p] = (float) Math.exp(scores[p] - max);
            sum += scores[p];
        }
        Arrays.fill(out, oo, oo + hd, 0f);
        for (int p = 0; p <= pos; p++) {
            long v = layout.offset(base, blocks, p);
            float w = scores[p] / sum;
            if (f32) VectorMath.axpy(w, kv.values(), v, out, oo, hd);
            else for (int i = 0; i < hd; i++) out[oo + i] += w * kv.value(v + i);
        }
    }

    /** q . k over a half-precision cache, element by element (the Java kernels' cache is float32 by default). */
    private static float halfDot(float[] q, int qo, PagedKvCache kv, long k, int hd) {
        float s = 0;
        for (int i = 0; i < hd; i++) s += q[qo + i] * kv.key(k + i);
        return s;
    }
}
