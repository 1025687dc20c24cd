package org.gptq4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

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
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** As many F16 values as F has lanes (half its width). */
    private static final VectorSpecies<Short> HALVES = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /** F16 values of a whole vector of F's width, for {@link #finiteF16}. */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, F.vectorShape());
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** An F16's exponent bits (all ones: infinity or NaN). */
    private static final short F16_EXPONENT = 0x7C00;

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

    /**
     * F's length of F16 values (little-endian) from byte {@code at} of {@code seg} as floats, bit for bit
     * {@link Float#float16ToFloat} where the value is finite (infinities and NaNs come out finite: see
     * {@link #finiteF16}). The F16 h, sign-extended to 32 bits, shifted left by 13 has its exponent and mantissa at
     * float32's places and copies of its sign in bits 28..31, of which the mask keeps bit 31; as a float that is
     * h's value times 2^-112 (normal or subnormal), made exact by the multiply.
     */
    static FloatVector halves(MemorySegment seg, long at) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(HALVES, seg, at, ByteOrder.LITTLE_ENDIAN).convertShape(S2I, I, 0);
        return h.lanewise(LSHL, 13).and(0x8FFFE000).reinterpretAsFloats().mul(InterleavedParams.F16_EXPONENT_BIAS);
    }

    /** Whether every F16 value of {@code seg} (little-endian, {@code byteSize / 2} of them) is finite. */
    static boolean finiteF16(MemorySegment seg) {
        long n = seg.byteSize() / Short.BYTES, i = 0;
        ShortVector exponents = ShortVector.zero(SHORTS); // the lanes' largest exponent bits (all non-negative shorts)
        for (long upper = SHORTS.loopBound(n); i < upper; i += SHORTS.length()) {
            exponents = exponents.max(ShortVector.fromMemorySegment(SHORTS, seg, i * Short.BYTES, ByteOrder.LITTLE_ENDIAN).and(F16_EXPONENT));
        }
        boolean finite = !exponents.eq(F16_EXPONENT).anyTrue();
        for (; i < n; i++) finite &= (seg.getAtIndex(F16, i) & F16_EXPONENT) != F16_EXPONENT;
        return finite;
    }

    /**
     * One token's outputs over F16 rows: {@code y[yo + n] = sum_k a[ao + k] w[n][k] (+ bias[n])} for rows n in
     * [n0, n1), w's rows of {@code in} F16 values from byte 0 of {@code seg}, all finite. Each output is {@link #dot}
     * of the row widened to floats, bit for bit (lanes summed in F-wide fmas over k, then {@link #sumLanes}, then the
     * tail), with no widened copy. Four rows at a time: four independent chains of fmas, where one alone waits on each
     * fma's latency; a last group of fewer rows repeats its last row. The loop over rows is
     * in here so that the JIT compiles the whole product during its first call (a call per row group would run
     * thousands of times in the slow tiers first).
     */
    static void f16Rows(float[] a, int ao, MemorySegment seg, int in, int n0, int n1, float[] bias, float[] y, int yo) {
        long stride = (long) in * Short.BYTES;
        int upper = F.loopBound(in);
        for (int m = n0; m < n1; m += 4) {
            int last = n1 - 1, n1m = Math.min(m + 1, last), n2m = Math.min(m + 2, last), n3m = Math.min(m + 3, last);
            long at0 = m * stride, at1 = n1m * stride, at2 = n2m * stride, at3 = n3m * stride;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            int k = 0;
            for (; k < upper; k += F.length()) {
                FloatVector x = FloatVector.fromArray(F, a, ao + k);
                long kb = (long) k * Short.BYTES;
                acc0 = x.fma(halves(seg, at0 + kb), acc0);
                acc1 = x.fma(halves(seg, at1 + kb), acc1);
                acc2 = x.fma(halves(seg, at2 + kb), acc2);
                acc3 = x.fma(halves(seg, at3 + kb), acc3);
            }
            float s0 = sumLanes(acc0), s1 = sumLanes(acc1), s2 = sumLanes(acc2), s3 = sumLanes(acc3);
            for (; k < in; k++) {
                long kb = (long) k * Short.BYTES;
                s0 += a[ao + k] * Float.float16ToFloat(seg.get(F16, at0 + kb));
                s1 += a[ao + k] * Float.float16ToFloat(seg.get(F16, at1 + kb));
                s2 += a[ao + k] * Float.float16ToFloat(seg.get(F16, at2 + kb));
                s3 += a[ao + k] * Float.float16ToFloat(seg.get(F16, at3 + kb));
            }
            // a repeated row stores the last row's output again, the same bits: no branch that the JIT, having seen
            // only whole groups, would compile as a trap
            y[yo + m] = s0 + (bias == null ? 0f : bias[m]);
            y[yo + n1m] = s1 + (bias == null ? 0f : bias[n1m]);
            y[yo + n2m] = s2 + (bias == null ? 0f : bias[n2m]);
            y[yo + n3m] = s3 + (bias == null ? 0f : bias[n3m]);
        }
    }

    /**
     * {@link #f16Rows} for four tokens at once, {@code a[ao + t in ..]} into {@code y[yo + t ystride + n]} for t < 4:
     * each vector of a row widened once for the four, each output summed as {@link #f16Rows} sums it (the same bits).
     */
    static void f16Tokens(float[] a, int ao, MemorySegment seg, int in, int n0, int n1, float[] bias, float[] y, int yo,
                          int ystride) {
        long stride = (long) in * Short.BYTES;
        int upper = F.loopBound(in), ao1 = ao + in, ao2 = ao1 + in, ao3 = ao2 + in;
        for (int n = n0; n < n1; n++) {
            long at = n * stride;
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            int k = 0;
            for (; k < upper; k += F.length()) {
                FloatVector w = halves(seg, at + (long) k * Short.BYTES);
                acc0 = FloatVector.fromArray(F, a, ao + k).fma(w, acc0);
                acc1 = FloatVector.fromArray(F, a, ao1 + k).fma(w, acc1);
                acc2 = FloatVector.fromArray(F, a, ao2 + k).fma(w, acc2);
                acc3 = FloatVector.fromArray(F, a, ao3 + k).fma(w, acc3);
            }
            float s0 = sumLanes(acc0), s1 = sumLanes(acc1), s2 = sumLanes(acc2), s3 = sumLanes(acc3);
            for (; k < in; k++) {
                float w = Float.float16ToFloat(seg.get(F16, at + (long) k * Short.BYTES));
                s0 += a[ao + k] * w;
                s1 += a[ao1 + k] * w;
                s2 += a[ao2 + k] * w;
                s3 += a[ao3 + k] * w;
            }
            float b = bias == null ? 0f : bias[n];
            y[yo + n] = s0 + b;
            y[yo + ystride + n] = s1 + b;
            y[yo + 2 * ystride + n] = s2 + b;
            y[yo + 3 * ystride + n] = s3 + b;
        }
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
