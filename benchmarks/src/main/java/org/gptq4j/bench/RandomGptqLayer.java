package org.gptq4j.bench;

import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;
import org.gptq4j.kernel.GptqLinear;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * A random GPTQ layer in AutoGPTQ's storage layout (format v1), built in memory: the kernels' speed does not depend on
 * the values, only on the shape, the bits, the group size and act-order, so no checkpoint is needed.
 *
 * <ul>
 *   <li>{@code qweight [in*bits/32, out]} and {@code qzeros [groups, out*bits/32]} int32: random bits, i.e. random codes
 *       and zeros packed as little-endian bit streams;</li>
 *   <li>{@code scales [groups, out]} F16, positive, about {@code 1/2^bits} so that weights stay near unit size;</li>
 *   <li>{@code g_idx [in]} with act-order: {@code k / groupSize} shuffled, so every group is scattered over the inputs
 *       as GPTQ's desc_act leaves it (the repacked layer then gathers activations through a permutation).</li>
 * </ul>
 */
final class RandomGptqLayer {
    private RandomGptqLayer() {}

    /** The stored tensors of an {@code in x out} layer, allocated in {@code arena}. */
    static GptqLinear.Stored stored(Arena arena, int in, int out, int bits, int groupSize, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int groups = (in + groupSize - 1) / groupSize;
        MemorySegment qweight = randomInts(arena, (long) in * bits / 32 * out, rnd);
        MemorySegment qzeros = randomInts(arena, (long) groups * out * bits / 32, rnd);
        MemorySegment scales = arena.allocate((long) groups * out * Short.BYTES);
        for (long i = 0; i < (long) groups * out; i++) {
            scales.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) (0.5 + rnd.nextDouble()) / (1 << bits)));
        }
        int[] gIdx = new int[in];
        for (int k = 0; k < in; k++) gIdx[k] = k / groupSize;
        for (int k = in - 1; k > 0; k--) { // act-order: a random permutation of the group assignment
            int j = rnd.nextInt(k + 1), t = gIdx[k];
            gIdx[k] = gIdx[j];
            gIdx[j] = t;
        }
        MemorySegment gIdxSeg = arena.allocateFrom(ValueLayout.JAVA_INT, gIdx);
        return new GptqLinear.Stored("bench",
                new Tensor("qweight", DType.I32, new long[]{(long) in * bits / 32, out}, qweight),
                new Tensor("qzeros", DType.I32, new long[]{groups, (long) out * bits / 32}, qzeros),
                new Tensor("scales", DType.F16, new long[]{groups, out}, scales),
                new Tensor("g_idx", DType.I32, new long[]{in}, gIdxSeg),
                null);
    }

    private static MemorySegment randomInts(Arena arena, long count, SplittableRandom rnd) {
        MemorySegment seg = arena.allocate(count * Integer.BYTES, 64);
        for (long i = 0; i < count; i++) seg.setAtIndex(ValueLayout.JAVA_INT, i, rnd.nextInt());
        return seg;
    }

    /** {@code rows x in} activations, standard normal. */
    static float[] activations(int rows, int in, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[rows * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
