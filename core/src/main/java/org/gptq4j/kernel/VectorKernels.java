package org.gptq4j.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * The pure-Java kernels over {@link PackedGptq}, always available: the int8-activation product (the same math as the
 * native kernels) and the exact float32-activation product. Each processes output rows {@code [n0, n1)} in chunks
 * that stay in cache while every token of the batch passes over them, so the weights are read once per call.
 */
final class VectorKernels {
    private VectorKernels() {}

    /**
     * This CPU's vector width, kept within 256..512 bits: {@code L} int or float lanes, fed by {@code L} bytes of codes
     * (a narrower CPU runs the 256-bit shape emulated: correct, slow).
     */
    private static final VectorShape SHAPE = VectorShape.forBitSize(Math.clamp(VectorShape.preferredShape().vectorBitSize(), 256, 512));
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SHAPE);
    private static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, SHAPE);
    private static final int L = INTS.length();
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int ROW_CHUNK = 16;

    /**
     * The int8-activation product, with the same bits as the native kernels: per chunk c of group g,
     * {@code V = q . x} in exact integers ({@code x = 254 hi + lo}, {@link #foldedPlane}), then
     * {@code v = fma(-z[n,g], (float) S[r,c], (float) V)} and {@code acc = fma(v, s[n,g] * e[r,c], acc)} in chunk order;
     * {@code y = acc (+ bias)}. A batch is computed four tokens per row at a time ({@link #tokenTile}: each code vector
     * unpacked once for four tokens), the tokens left over four rows at a time ({@link #tokenRow}).
     *
     * <p>Exactness: codes and {@code x} are integers held exactly in float32, |code| <= 15 (4-bit) or 128 (8-bit) and
     * |x| <= 254 * 127 + 127 = 32385, so a lane that sums at most 4 8-bit products (<= 16,581,120) or 34 4-bit ones
     * stays below 2^24, where every float sum is exact. Each output sums in two float vectors per chunk, converted to
     * ints every {@code flush} steps of one product per lane: a 4-bit chunk has at most 64 / L <= 8 steps, so it converts
     * once; an 8-bit one has up to 8 and converts every 4 ({@link #flushSteps}).
     *
     * <p>The tiles' vector expressions are written out rather than put in helper methods: C2 compiles a small helper on
     * its own first and then will not inline its (boxing) code into the loop, which then runs several times slower.
     */
    static void int8Gemm(PackedGptq w, float[] xs, float[] e, int[] sums, int rows, float[] y, float[] bias, int n0, int n1) {
        RowParams params = new RowParams(w);
        for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {
            int c1 = Math.min(n1, c0 + ROW_CHUNK), last = c1 - 1;
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                for (int n = c0; n < c1; n++) tokenTile(w, params, xs, e, sums, y, bias, n, r);
            }
            for (; r < rows; r++) { // where fewer than four rows remain, the last is computed again
                for (int n = c0; n < c1; n += 4) tokenRow(w, params, xs, e, sums, y, bias, n, Math.min(n + 1, last), Math.min(n + 2, last), Math.min(n + 3, last), r);
            }
        }
    }

    /** Steps of one product per lane that a float lane may sum exactly (see {@link #int8Gemm}). */
    private static int flushSteps(PackedGptq w) {
        return w.storedBits() == 8 ? 4 : 8;
    }

    /** Outputs n0..n3 of token r: the token's two activation vectors of a step meet four rows' codes. */
    private static void tokenRow(PackedGptq w, RowParams p, float[] xs, float[] e, int[] sums, float[] y, float[] bias,
                                 int n0, int n1, int n2, int n3, int r) {
        p.load(0, n0);
        p.load(1, n1);
        p.load(2, n2);
        p.load(3, n3);
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        boolean eight = w.storedBits() == 8;
        int chunks = chunkGroup.length, blockBytes = eight ? 32 : 16, flush = flushSteps(w), t = r * w.nb() * 32;
        long rb = w.rowBytes(), o0 = n0 * rb, o1 = n1 * rb, o2 = n2 * rb, o3 = n3 * rb;
        float acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], nbk = chunkBlock[c + 1] - b0, steps = 16 * nbk / L, x0 = t + 32 * b0, half = 16 * nbk;
            long cb = (long) blockBytes * b0;
            IntVector v0 = IntVector.zero(INTS), v1 = v0, v2 = v0, v3 = v0;
            for (int s0 = 0; s0 < steps; s0 += flush) {
                FloatVector a0 = FloatVector.zero(FLOATS), d0 = a0, a1 = a0, d1 = a0, a2 = a0, d2 = a0, a3 = a0, d3 = a0;
                for (int s = s0; s < Math.min(steps, s0 + flush); s++) {
                    if (eight) { // code vectors 2s and 2s+1 (L codes each, slots in order) meet x[2sL..] and x[(2s+1)L..]
                        long ca = cb + 2L * s * L, cd = ca + L;
                        FloatVector xa = FloatVector.fromArray(FLOATS, xs, x0 + 2 * s * L), xd = FloatVector.fromArray(FLOATS, xs, x0 + (2 * s + 1) * L);
                        a0 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o0 + ca, LE).convertShape(B2F, FLOATS, 0)).fma(xa, a0);
                        d0 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o0 + cd, LE).convertShape(B2F, FLOATS, 0)).fma(xd, d0);
                        a1 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o1 + ca, LE).convertShape(B2F, FLOATS, 0)).fma(xa, a1);
                        d1 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o1 + cd, LE).convertShape(B2F, FLOATS, 0)).fma(xd, d1);
                        a2 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o2 + ca, LE).convertShape(B2F, FLOATS, 0)).fma(xa, a2);
                        d2 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o2 + cd, LE).convertShape(B2F, FLOATS, 0)).fma(xd, d2);
                        a3 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o3 + ca, LE).convertShape(B2F, FLOATS, 0)).fma(xa, a3);
                        d3 = ((FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o3 + cd, LE).convertShape(B2F, FLOATS, 0)).fma(xd, d3);
                    } else { // code vector s: its low nibbles meet x[sL..], its high nibbles x[half + sL..]
                        long ca = cb + (long) s * L;
                        FloatVector xa = FloatVector.fromArray(FLOATS, xs, x0 + s * L), xd = FloatVector.fromArray(FLOATS, xs, x0 + half + s * L);
                        IntVector q0 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o0 + ca, LE).convertShape(B2I, INTS, 0);
                        IntVector q1 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o1 + ca, LE).convertShape(B2I, INTS, 0);
                        IntVector q2 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o2 + ca, LE).convertShape(B2I, INTS, 0);
                        IntVector q3 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o3 + ca, LE).convertShape(B2I, INTS, 0);
                        a0 = ((FloatVector) q0.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a0);
                        d0 = ((FloatVector) q0.lanewise(LSHR, 4).and(0xF).convertShape(I2F, FLOATS, 0)).fma(xd, d0);
                        a1 = ((FloatVector) q1.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a1);
                        d1 = ((FloatVector) q1.lanewise(LSHR, 4).and(0xF).convertShape(I2F, FLOATS, 0)).fma(xd, d1);
                        a2 = ((FloatVector) q2.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a2);
                        d2 = ((FloatVector) q2.lanewise(LSHR, 4).and(0xF).convertShape(I2F, FLOATS, 0)).fma(xd, d2);
                        a3 = ((FloatVector) q3.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a3);
                        d3 = ((FloatVector) q3.lanewise(LSHR, 4).and(0xF).convertShape(I2F, FLOATS, 0)).fma(xd, d3);
                    }
                }
                v0 = v0.add(a0.convertShape(F2I, INTS, 0)).add(d0.convertShape(F2I, INTS, 0));
                v1 = v1.add(a1.convertShape(F2I, INTS, 0)).add(d1.convertShape(F2I, INTS, 0));
                v2 = v2.add(a2.convertShape(F2I, INTS, 0)).add(d2.convertShape(F2I, INTS, 0));
                v3 = v3.add(a3.convertShape(F2I, INTS, 0)).add(d3.convertShape(F2I, INTS, 0));
            }
            int g = chunkGroup[c], rc = r * chunks + c;
            acc0 = p.chunkStep(0, g, v0.reduceLanes(ADD), sums[rc], e[rc], acc0);
            acc1 = p.chunkStep(1, g, v1.reduceLanes(ADD), sums[rc], e[rc], acc1);
            acc2 = p.chunkStep(2, g, v2.reduceLanes(ADD), sums[rc], e[rc], acc2);
            acc3 = p.chunkStep(3, g, v3.reduceLanes(ADD), sums[rc], e[rc], acc3);
        }
        int out = w.out(), at = r * out;
        y[at + n0] = bias == null ? acc0 : acc0 + bias[n0];
        y[at + n1] = bias == null ? acc1 : acc1 + bias[n1];
        y[at + n2] = bias == null ? acc2 : acc2 + bias[n2];
        y[at + n3] = bias == null ? acc3 : acc3 + bias[n3];
    }

    /** Output n of tokens r..r+3: each code vector of a step, unpacked once, meets four tokens' activations. */
    private static void tokenTile(PackedGptq w, RowParams p, float[] xs, float[] e, int[] sums, float[] y, float[] bias, int n, int r) {
        p.load(0, n);
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        boolean eight = w.storedBits() == 8;
        int padded = w.nb() * 32, chunks = chunkGroup.length, blockBytes = eight ? 32 : 16, flush = flushSteps(w);
        int t0 = r * padded, t1 = t0 + padded, t2 = t1 + padded, t3 = t2 + padded;
        long o = n * w.rowBytes();
        float acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], nbk = chunkBlock[c + 1] - b0, steps = 16 * nbk / L, x0 = 32 * b0, half = 16 * nbk;
            long cb = o + (long) blockBytes * b0;
            IntVector v0 = IntVector.zero(INTS), v1 = v0, v2 = v0, v3 = v0;
            for (int s0 = 0; s0 < steps; s0 += flush) {
                FloatVector a0 = FloatVector.zero(FLOATS), d0 = a0, a1 = a0, d1 = a0, a2 = a0, d2 = a0, a3 = a0, d3 = a0;
                for (int s = s0; s < Math.min(steps, s0 + flush); s++) {
                    FloatVector qa, qd; // the step's two code vectors and the slots they meet (as in tokenRow)
                    int ka, kd;
                    if (eight) {
                        ka = x0 + 2 * s * L;
                        kd = ka + L;
                        qa = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, cb + 2L * s * L, LE).convertShape(B2F, FLOATS, 0);
                        qd = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, cb + (2L * s + 1) * L, LE).convertShape(B2F, FLOATS, 0);
                    } else {
                        ka = x0 + s * L;
                        kd = ka + half;
                        IntVector q = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, cb + (long) s * L, LE).convertShape(B2I, INTS, 0);
                        qa = (FloatVector) q.and(0xF).convertShape(I2F, FLOATS, 0);
                        qd = (FloatVector) q.lanewise(LSHR, 4).and(0xF).convertShape(I2F, FLOATS, 0);
                    }
                    a0 = qa.fma(FloatVector.fromArray(FLOATS, xs, t0 + ka), a0);
                    d0 = qd.fma(FloatVector.fromArray(FLOATS, xs, t0 + kd), d0);
                    a1 = qa.fma(FloatVector.fromArray(FLOATS, xs, t1 + ka), a1);
                    d1 = qd.fma(FloatVector.fromArray(FLOATS, xs, t1 + kd), d1);
                    a2 = qa.fma(FloatVector.fromArray(FLOATS, xs, t2 + ka), a2);
                    d2 = qd.fma(FloatVector.fromArray(FLOATS, xs, t2 + kd), d2);
                    a3 = qa.fma(FloatVector.fromArray(FLOATS, xs, t3 + ka), a3);
                    d3 = qd.fma(FloatVector.fromArray(FLOATS, xs, t3 + kd), d3);
                }
                v0 = v0.add(a0.convertShape(F2I, INTS, 0)).add(d0.convertShape(F2I, INTS, 0));
                v1 = v1.add(a1.convertShape(F2I, INTS, 0)).add(d1.convertShape(F2I, INTS, 0));
                v2 = v2.add(a2.convertShape(F2I, INTS, 0)).add(d2.convertShape(F2I, INTS, 0));
                v3 = v3.add(a3.convertShape(F2I, INTS, 0)).add(d3.convertShape(F2I, INTS, 0));
            }
            int g = chunkGroup[c], rc = r * chunks + c;
            acc0 = p.chunkStep(0, g, v0.reduceLanes(ADD), sums[rc], e[rc], acc0);
            acc1 = p.chunkStep(0, g, v1.reduceLanes(ADD), sums[rc + chunks], e[rc + chunks], acc1);
            acc2 = p.chunkStep(0, g, v2.reduceLanes(ADD), sums[rc + 2 * chunks], e[rc + 2 * chunks], acc2);
            acc3 = p.chunkStep(0, g, v3.reduceLanes(ADD), sums[rc + 3 * chunks], e[rc + 3 * chunks], acc3);
        }
        int out = w.out();
        y[r * out + n] = bias == null ? acc0 : acc0 + bias[n];
        y[(r + 1) * out + n] = bias == null ? acc1 : acc1 + bias[n];
        y[(r + 2) * out + n] = bias == null ? acc2 : acc2 + bias[n];
        y[(r + 3) * out + n] = bias == null ? acc3 : acc3 + bias[n];
    }

    /**
     * The scales and zeros of up to four rows as floats, read with one bulk copy per row instead of two checked reads
     * per chunk; and the chunk's float step that uses them.
     */
    private static final class RowParams {
        private final PackedGptq w;
        private final int groups;
        private final short[] buffer;
        private final float[] scales, zeros; // [slot * groups + g]

        RowParams(PackedGptq w) {
            this.w = w;
            groups = w.groups();
            buffer = new short[groups];
            scales = new float[4 * groups];
            zeros = new float[4 * groups];
        }

        /** Row n's scales ({@link PackedGptq#scale}) and zeros ({@link PackedGptq#zero}) into slot i. */
        void load(int i, int n) {
            MemorySegment.copy(w.scales(), ValueLayout.JAVA_SHORT, 2L * n * groups, buffer, 0, groups);
            for (int g = 0; g < groups; g++) scales[i * groups + g] = Float.float16ToFloat(buffer[g]);
            MemorySegment.copy(w.zeros(), ValueLayout.JAVA_SHORT, 2L * n * groups, buffer, 0, groups);
            for (int g = 0; g < groups; g++) zeros[i * groups + g] = buffer[g];
        }

        /** Chunk step of slot i's row in group g: {@code v = fma(-z, (float) S, (float) V)}, {@code acc = fma(v, s e, acc)}. */
        float chunkStep(int i, int g, int dot, int sum, float e, float acc) {
            return Math.fma(Math.fma(-zeros[i * groups + g], (float) sum, (float) dot), scales[i * groups + g] * e, acc);
        }
    }

    /**
     * The activation planes folded into the one integer each pair stands for, {@code x = 254 hi + lo}, as a float
     * (exact: |x| <= 32385), for slots {@code [k0, k1)}.
     */
    static void foldedPlane(byte[] hi, byte[] lo, float[] xs, int k0, int k1) {
        for (int k = k0; k < k1; k++) xs[k] = 254 * hi[k] + lo[k];
    }

    /** y[r][n] = xs[r] . W[n] + bias[n] in float32: row n dequantized once into {@code wrow}, then dotted with every token. */
    static void floatGemm(PackedGptq w, float[] xs, int rows, float[] y, float[] bias, int n0, int n1, float[] wrow) {
        int padded = w.nb() * 32, out = w.out();
        int[] gblk = w.gblk();
        for (int n = n0; n < n1; n++) {
            for (int g = 0; g < w.groups(); g++) {
                float s = w.scale(n, g), z = w.zero(n, g);
                for (int k = gblk[g] * 32; k < gblk[g + 1] * 32; k++) wrow[k] = s * (w.code(n, k) - z); // W = s (c - z)
            }
            float b = bias == null ? 0f : bias[n];
            for (int r = 0; r < rows; r++) y[r * out + n] = VectorMath.dot(wrow, 0, xs, r * padded, padded) + b;
        }
    }
}
