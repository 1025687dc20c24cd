package org.gptq4j.kernel;

import jdk.incubator.vector.FloatVector;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small float kernels shared by the forward pass (Vector API, with scalar tails).
 *
 * <p>Results are bit-for-bit the same whether the JIT has compiled a kernel or not: the lanes of an accumulator
 * are summed in a fixed order ({@link #sumLanes}) rather than with {@code reduceLanes}, whose order the Vector API
 * leaves open (the interpreter and the compiled intrinsic differ). Seeded sampling and preempted-then-resumed
 * sequences depend on that.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** The width of these vectors, in bits (this CPU's preferred: 256 on AVX2, 512 on AVX-512). */
    static int vectorBits() {
        return F.vectorBitSize();
    }

    private VectorMath() {}

    /** acc[0] + acc[1] + ... + acc[n-1], left to right. */
    static float sumLanes(FloatVector acc) {
        float sum = 0f;
        for (int lane = 0; lane < acc.length(); lane++) sum += acc.lane(lane);
        return sum;
    }

    /** sum_i a[ao+i] * b[bo+i] for i in [0, n) */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    /** y[yo+i] += s * x[xo+i] for i in [0, n) */
    public static void axpy(float s, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).fma(sv, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += s * x[xo + i];
    }

    /** sum_i a[ao+i] * seg[so+i] for i in [0, n), with {@code so} a float index into an off-heap segment */
    public static float dot(float[] a, int ao, MemorySegment seg, long so, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector b = FloatVector.fromMemorySegment(F, seg, (so + i) * Float.BYTES, ByteOrder.nativeOrder());
            acc = FloatVector.fromArray(F, a, ao + i).fma(b, acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) sum += a[ao + i] * seg.getAtIndex(ValueLayout.JAVA_FLOAT, so + i);
        return sum;
    }

    /** y[yo+i] += s * seg[so+i] for i in [0, n) */
    public static void axpy(float s, MemorySegment seg, long so, float[] y, int yo, int n) {
        FloatVector sv = FloatVector.broadcast(F, s);
        int i = 0;
        for (int upper = F.loopBound(n); i < upper; i += F.length()) {
            FloatVector x = FloatVector.fromMemorySegment(F, seg, (so + i) * Float.BYTES, ByteOrder.nativeOrder());
            x.fma(sv, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += s * seg.getAtIndex(ValueLayout.JAVA_FLOAT, so + i);
    }
}
