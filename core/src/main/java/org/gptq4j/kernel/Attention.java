package org.gptq4j.kernel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Causal attention of one head of one token over the keys and values of its sequence in a paged KV cache:
 * <pre>
 *   s_p = (q . k_p) / sqrt(hd),   w_p = softmax_p(s),   out = sum_p w_p v_p,   p in [0, pos]
 * </pre>
 * Position p's vector starts at float index {@code base + (blocks[p / blockSize] * blockSize + p % blockSize) * stride}
 * of the cache's keys and values ({@code base}: the layer's first float plus the head's offset). The native backend runs
 * it in C (the head dimension in 8-lane FMAs, four chains), the others with the Vector API. Either way a token's head
 * is computed alone, so its result does not depend on the batch around it.
 */
public final class Attention {
    private final boolean nativeCode;

    public Attention(KernelBackend backend) {
        this.nativeCode = backend.orFallback() == KernelBackend.NATIVE;
    }

    /**
     * @param q      queries; this head's {@code hd} floats start at {@code qo}
     * @param blocks the sequence's KV block ids in position order (at least {@code pos / blockSize + 1})
     * @param stride floats from one position's vector to the next
     * @param scores scratch of at least {@code pos + 1} floats
     * @param out    receives the head's {@code hd} floats at {@code oo}
     */
    public void attend(float[] q, int qo, MemorySegment keys, MemorySegment values, long base, int[] blocks, int blockSize,
                       int stride, int hd, int pos, float[] scores, float[] out, int oo) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        if (nativeCode) {
            NativeKernels.attend(q, qo, keys, values, base, blocks, blockSize, stride, hd, pos, scale, scores, out, oo);
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p <= pos; p++) {
            scores[p] = VectorMath.dot(q, qo, keys, at(base, blocks, blockSize, stride, p), hd) * scale;
            max = Math.max(max, scores[p]);
        }
        float sum = 0;
        for (int p = 0; p <= pos; p++) {
            scores[p] = (float) Math.exp(scores[p] - max);
            sum += scores[p];
        }
        Arrays.fill(out, oo, oo + hd, 0f);
        for (int p = 0; p <= pos; p++) {
            VectorMath.axpy(scores[p] / sum, values, at(base, blocks, blockSize, stride, p), out, oo, hd);
        }
    }

    /** Float index of position p's vector. */
    private static long at(long base, int[] blocks, int blockSize, int stride, int p) {
        return base + ((long) blocks[p / blockSize] * blockSize + p % blockSize) * stride;
    }
}
