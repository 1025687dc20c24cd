package org.gptq4j.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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
    /** The most rows a tile computes at once ({@link #tokenRow4}), the size of {@link RowParams}' per-group blocks. */
    private static final int SLOTS = 8;
    /** Four (eight) floats: the chunk steps of four (eight) outputs side by side, one per lane. */
    private static final VectorSpecies<Float> QUAD = FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> INT_QUAD = IntVector.SPECIES_128;
    private static final VectorSpecies<Float> OCT = FloatVector.SPECIES_256;
    /**
     * The transposed reduction, which sums the lanes of four (eight) outputs' vectors into lanes 0..3 (0..7) of one:
     * level k adds each vector to itself with lane i swapped with lane i ^ 2^k (SWAP), and blends two such vectors,
     * taking the second one's lanes where bit k of the lane index is set (BIT); the last levels, past the outputs'
     * count, only add (SWAP8 is used only where L = 16). About one shuffle and two adds per output and level, where a
     * reduction per output ({@code reduceLanes}) costs several dependent shuffles.
     */
    private static final VectorShuffle<Float> SWAP1F = VectorShuffle.fromOp(FLOATS, i -> i ^ 1);
    private static final VectorMask<Float> BIT0F = VectorMask.fromLong(FLOATS, 0xAAAAL);
    private static final VectorShuffle<Integer> SWAP1 = VectorShuffle.fromOp(INTS, i -> i ^ 1);
    private static final VectorShuffle<Integer> SWAP2 = VectorShuffle.fromOp(INTS, i -> i ^ 2);
    private static final VectorShuffle<Integer> SWAP4 = VectorShuffle.fromOp(INTS, i -> i ^ 4);
    private static final VectorShuffle<Integer> SWAP8 = VectorShuffle.fromOp(INTS, i -> L > 8 ? i ^ 8 : i);
    private static final VectorMask<Integer> BIT0 = VectorMask.fromLong(INTS, 0xAAAAL);
    private static final VectorMask<Integer> BIT1 = VectorMask.fromLong(INTS, 0xCCCCL);
    private static final VectorMask<Integer> BIT2 = VectorMask.fromLong(INTS, 0xF0F0L);

    /** The width of the products' vectors, in bits ({@link #SHAPE}). */
    static int vectorBits() {
        return SHAPE.vectorBitSize();
    }

    /**
     * The int8-activation product, with the same bits as the native kernels: per chunk c of group g,
     * {@code V = q . x} in exact integers ({@code x = 254 hi + lo}, {@link #foldedPlane}), then
     * {@code v = fma(-z[n,g], (float) S[r,c], (float) V)} and {@code acc = fma(v, s[n,g] * e[r,c], acc)} in chunk order;
     * {@code y = acc (+ bias)}. A batch is computed four tokens per row at a time ({@link #tokenTile}: each code vector
     * unpacked once for four tokens), the tokens left over eight rows (4-bit, {@link #tokenRow4}) or four rows (8-bit,
     * {@link #tokenRow8}) at a time. The chunk steps of a tile's outputs run side by side in the lanes of one vector,
     * lane by lane the same float operations, after the transposed reduction has put each output's V in its lane.
     *
     * <p>Exactness: codes and {@code x} are integers held exactly in float32, |code| <= 15 (4-bit) or 128 (8-bit) and
     * |x| <= 254 * 127 + 127 = 32385, so a lane that sums at most 4 8-bit products (<= 16,581,120) or 34 4-bit ones
     * stays below 2^24, where every float sum is exact. A 4-bit chunk has at most 64 / L <= 8 steps, so its lanes sum
     * at most 16 products and are converted to ints once, after the chunk (two lanes' sum, < 2^24, still as floats); an
     * 8-bit one has up to 8 steps, and its two float vectors per output are converted every 4 ({@link #flushSteps}).
     *
     * <p>The tiles' vector expressions are written out rather than put in helper methods: C2 compiles a small helper on
     * its own first and then will not inline its (boxing) code into the loop, which then runs several times slower.
     */
    static void int8Gemm(PackedGptq w, float[] xs, float[] e, int[] sums, int rows, float[] y, float[] bias, int n0, int n1) {
        RowParams params = new RowParams(w);
        boolean eight = w.storedBits() == 8;
        for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {
            int c1 = Math.min(n1, c0 + ROW_CHUNK), last = c1 - 1;
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                for (int n = c0; n < c1; n++) tokenTile(w, params, xs, e, sums, y, bias, n, r);
            }
            for (; r < rows; r++) { // the tokens left over; where fewer rows remain than a tile takes, the last repeats
                if (eight) {
                    for (int n = c0; n < c1; n += 4) tokenRow8(w, params, xs, e, sums, y, bias, n, last, r);
                } else {
                    for (int n = c0; n < c1; n += 8) tokenRow4(w, params, xs, e, sums, y, bias, n, last, r);
                }
            }
        }
    }

    /** Steps of one 8-bit product per lane that a float lane may sum exactly (see {@link #int8Gemm}). */
    private static final int EIGHT_BIT_FLUSH = 4;

    /** Steps of one product per lane that a float lane may sum exactly (see {@link #int8Gemm}). */
    private static int flushSteps(PackedGptq w) {
        return w.storedBits() == 8 ? EIGHT_BIT_FLUSH : 8;
    }

    /**
     * Outputs n..n+7 of token r (rows past {@code last} repeat it), 4-bit codes: each step's code vector holds L bytes
     * of each row; its low nibbles meet the token's activations x[sL..], its high nibbles x[half + sL..] (slot order,
     * gptq4j.h). Eight rows per pass, so that the per-chunk work (loop entry, reduction, float steps) is shared by
     * eight outputs; one accumulator per row, which stays exact: a chunk has at most 64 / L <= 8 steps, so a lane sums
     * at most 16 products (< 2^23).
     */
    private static void tokenRow4(PackedGptq w, RowParams p, float[] xs, float[] e, int[] sums, float[] y, float[] bias,
                                  int n, int last, int r) {
        int n1 = Math.min(n + 1, last), n2 = Math.min(n + 2, last), n3 = Math.min(n + 3, last);
        int n4 = Math.min(n + 4, last), n5 = Math.min(n + 5, last), n6 = Math.min(n + 6, last), n7 = Math.min(n + 7, last);
        for (int i = 0; i < 8; i++) p.load(i, Math.min(n + i, last));
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        int chunks = chunkGroup.length, t = r * w.nb() * 32;
        long rb = w.rowBytes(), o0 = n * rb, o1 = n1 * rb, o2 = n2 * rb, o3 = n3 * rb, o4 = n4 * rb, o5 = n5 * rb, o6 = n6 * rb, o7 = n7 * rb;
        FloatVector acc = FloatVector.zero(OCT); // lanes: rows n..n7
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], steps = 16 * (chunkBlock[c + 1] - b0) / L, x0 = t + 32 * b0, half = steps * L;
            long cb = 16L * b0;
            FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int s = 0; s < steps; s++) {
                long ca = cb + (long) s * L;
                // the high nibbles are taken in place, as 16 hi (one mask, no shift), against x / 16: exact, as
                // x is an integer and 16 hi * (x / 16) = hi * x
                FloatVector xa = FloatVector.fromArray(FLOATS, xs, x0 + s * L), xd = FloatVector.fromArray(FLOATS, xs, x0 + half + s * L).mul(0.0625f);
                // a += lo * xa + (16 hi) * (xd / 16), per row
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o0 + ca, LE).convertShape(B2I, INTS, 0);
                a0 = ((FloatVector) q0.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q0.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a0));
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o1 + ca, LE).convertShape(B2I, INTS, 0);
                a1 = ((FloatVector) q1.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q1.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a1));
                IntVector q2 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o2 + ca, LE).convertShape(B2I, INTS, 0);
                a2 = ((FloatVector) q2.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q2.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a2));
                IntVector q3 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o3 + ca, LE).convertShape(B2I, INTS, 0);
                a3 = ((FloatVector) q3.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q3.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a3));
                IntVector q4 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o4 + ca, LE).convertShape(B2I, INTS, 0);
                a4 = ((FloatVector) q4.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q4.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a4));
                IntVector q5 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o5 + ca, LE).convertShape(B2I, INTS, 0);
                a5 = ((FloatVector) q5.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q5.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a5));
                IntVector q6 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o6 + ca, LE).convertShape(B2I, INTS, 0);
                a6 = ((FloatVector) q6.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q6.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a6));
                IntVector q7 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, o7 + ca, LE).convertShape(B2I, INTS, 0);
                a7 = ((FloatVector) q7.and(0xF0).convertShape(I2F, FLOATS, 0)).fma(xd, ((FloatVector) q7.and(0xF).convertShape(I2F, FLOATS, 0)).fma(xa, a7));
            }
            // the transposed reduction: lane i ends with the dot of row i & 7; lane pairs (< 2^24) are summed as
            // floats, exactly, the rest as ints
            FloatVector m01 = a0.add(a0.rearrange(SWAP1F)).blend(a1.add(a1.rearrange(SWAP1F)), BIT0F);
            FloatVector m23 = a2.add(a2.rearrange(SWAP1F)).blend(a3.add(a3.rearrange(SWAP1F)), BIT0F);
            FloatVector m45 = a4.add(a4.rearrange(SWAP1F)).blend(a5.add(a5.rearrange(SWAP1F)), BIT0F);
            FloatVector m67 = a6.add(a6.rearrange(SWAP1F)).blend(a7.add(a7.rearrange(SWAP1F)), BIT0F);
            IntVector i01 = (IntVector) m01.convertShape(F2I, INTS, 0), i23 = (IntVector) m23.convertShape(F2I, INTS, 0);
            IntVector i45 = (IntVector) m45.convertShape(F2I, INTS, 0), i67 = (IntVector) m67.convertShape(F2I, INTS, 0);
            IntVector q03 = i01.add(i01.rearrange(SWAP2)).blend(i23.add(i23.rearrange(SWAP2)), BIT1);
            IntVector q47 = i45.add(i45.rearrange(SWAP2)).blend(i67.add(i67.rearrange(SWAP2)), BIT1);
            IntVector dots = q03.add(q03.rearrange(SWAP4)).blend(q47.add(q47.rearrange(SWAP4)), BIT2);
            if (L > 8) dots = dots.add(dots.rearrange(SWAP8));
            // lanes 0..7: V of rows n..n7; the chunk steps (gptq4j.h), lane by lane
            int g = chunkGroup[c], rc = r * chunks + c;
            FloatVector v = FloatVector.fromArray(OCT, p.negZeros, SLOTS * g).fma(FloatVector.broadcast(OCT, sums[rc]), (FloatVector) dots.convertShape(I2F, OCT, 0));
            acc = v.fma(FloatVector.fromArray(OCT, p.scales, SLOTS * g).mul(e[rc]), acc);
        }
        acc.intoArray(p.outputs, 0);
        p.store(y, r * w.out(), bias, n, last);
    }

    /**
     * Outputs n0..n0+3 of token r (rows past {@code last} repeat it), 8-bit codes (slots in order): code vectors 2s
     * and 2s+1 (L codes each) meet x[2sL..] and x[(2s+1)L..]; the float sums are converted to ints every 4 steps
     * (int8Gemm).
     */
    private static void tokenRow8(PackedGptq w, RowParams p, float[] xs, float[] e, int[] sums, float[] y, float[] bias,
                                  int n0, int last, int r) {
        int n1 = Math.min(n0 + 1, last), n2 = Math.min(n0 + 2, last), n3 = Math.min(n0 + 3, last);
        for (int i = 0; i < 4; i++) p.load(i, Math.min(n0 + i, last));
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        int chunks = chunkGroup.length, t = r * w.nb() * 32;
        long rb = w.rowBytes(), o0 = n0 * rb, o1 = n1 * rb, o2 = n2 * rb, o3 = n3 * rb;
        FloatVector acc = FloatVector.zero(QUAD); // lanes: rows n0..n3
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], steps = 16 * (chunkBlock[c + 1] - b0) / L, x0 = t + 32 * b0;
            long cb = 32L * b0;
            IntVector v0 = IntVector.zero(INTS), v1 = v0, v2 = v0, v3 = v0;
            for (int s0 = 0; s0 < steps; s0 += EIGHT_BIT_FLUSH) {
                FloatVector a0 = FloatVector.zero(FLOATS), d0 = a0, a1 = a0, d1 = a0, a2 = a0, d2 = a0, a3 = a0, d3 = a0;
                for (int s = s0; s < Math.min(steps, s0 + EIGHT_BIT_FLUSH); s++) {
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
                }
                v0 = v0.add(a0.convertShape(F2I, INTS, 0)).add(d0.convertShape(F2I, INTS, 0));
                v1 = v1.add(a1.convertShape(F2I, INTS, 0)).add(d1.convertShape(F2I, INTS, 0));
                v2 = v2.add(a2.convertShape(F2I, INTS, 0)).add(d2.convertShape(F2I, INTS, 0));
                v3 = v3.add(a3.convertShape(F2I, INTS, 0)).add(d3.convertShape(F2I, INTS, 0));
            }
            // the four rows' dots (int lanes: exact)
            IntVector m01 = v0.add(v0.rearrange(SWAP1)).blend(v1.add(v1.rearrange(SWAP1)), BIT0);
            IntVector m23 = v2.add(v2.rearrange(SWAP1)).blend(v3.add(v3.rearrange(SWAP1)), BIT0);
            IntVector dots = m01.add(m01.rearrange(SWAP2)).blend(m23.add(m23.rearrange(SWAP2)), BIT1);
            dots = dots.add(dots.rearrange(SWAP4));
            if (L > 8) dots = dots.add(dots.rearrange(SWAP8));
            // lanes 0..3: V of rows n0..n3; the chunk steps (gptq4j.h), lane by lane
            int g = chunkGroup[c], rc = r * chunks + c;
            FloatVector v = FloatVector.fromArray(QUAD, p.negZeros, SLOTS * g).fma(FloatVector.broadcast(QUAD, sums[rc]), (FloatVector) dots.convertShape(I2F, QUAD, 0));
            acc = v.fma(FloatVector.fromArray(QUAD, p.scales, SLOTS * g).mul(e[rc]), acc);
        }
        acc.intoArray(p.outputs, 0);
        p.store(y, r * w.out(), bias, n0, Math.min(n0 + 3, last));
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
        FloatVector acc = FloatVector.zero(QUAD); // lanes: tokens r..r+3
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], nbk = chunkBlock[c + 1] - b0, steps = 16 * nbk / L, x0 = 32 * b0, half = 16 * nbk;
            long cb = o + (long) blockBytes * b0;
            IntVector v0 = IntVector.zero(INTS), v1 = v0, v2 = v0, v3 = v0;
            for (int s0 = 0; s0 < steps; s0 += flush) {
                FloatVector a0 = FloatVector.zero(FLOATS), d0 = a0, a1 = a0, d1 = a0, a2 = a0, d2 = a0, a3 = a0, d3 = a0;
                for (int s = s0; s < Math.min(steps, s0 + flush); s++) {
                    FloatVector qa, qd; // the step's two code vectors and the slots they meet (as in tokenRow4 and tokenRow8)
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
            // the four tokens' dots into lanes 0..3 (ints: exact), then the chunk steps (gptq4j.h), lane by lane
            IntVector m01 = v0.add(v0.rearrange(SWAP1)).blend(v1.add(v1.rearrange(SWAP1)), BIT0);
            IntVector m23 = v2.add(v2.rearrange(SWAP1)).blend(v3.add(v3.rearrange(SWAP1)), BIT0);
            IntVector dots = m01.add(m01.rearrange(SWAP2)).blend(m23.add(m23.rearrange(SWAP2)), BIT1);
            dots = dots.add(dots.rearrange(SWAP4));
            if (L > 8) dots = dots.add(dots.rearrange(SWAP8));
            int g = chunkGroup[c], rc = r * chunks + c;
            FloatVector sum = (FloatVector) IntVector.fromArray(INT_QUAD, sums, rc, p.tokenStride, 0).convertShape(I2F, QUAD, 0);
            FloatVector v = sum.fma(FloatVector.broadcast(QUAD, p.negZeros[SLOTS * g]), (FloatVector) dots.convertShape(I2F, QUAD, 0));
            acc = v.fma(FloatVector.fromArray(QUAD, e, rc, p.tokenStride, 0).mul(p.scales[SLOTS * g]), acc);
        }
        int out = w.out();
        y[r * out + n] = bias == null ? acc.lane(0) : acc.lane(0) + bias[n];
        y[(r + 1) * out + n] = bias == null ? acc.lane(1) : acc.lane(1) + bias[n];
        y[(r + 2) * out + n] = bias == null ? acc.lane(2) : acc.lane(2) + bias[n];
        y[(r + 3) * out + n] = bias == null ? acc.lane(3) : acc.lane(3) + bias[n];
    }

    /**
     * The scales and zeros of a tile's rows as floats, read with one bulk copy per row instead of two checked reads per
     * chunk, laid out so that one vector load gives a group's values for every row of the tile; and the tile's outputs.
     */
    private static final class RowParams {
        private final PackedGptq w;
        private final int groups;
        /** Per group g, the slots' scales and negated zeros side by side: {@code [SLOTS g + slot]}. */
        private final float[] scales, negZeros;
        private final float[] outputs = new float[SLOTS];
        /** Offsets of four consecutive tokens' chunk values in e and sums ({@code [rows][chunks]}). */
        private final int[] tokenStride;

        RowParams(PackedGptq w) {
            this.w = w;
            groups = w.groups();
            scales = new float[SLOTS * groups];
            negZeros = new float[SLOTS * groups];
            int chunks = w.chunkGroup().length;
            tokenStride = new int[]{0, chunks, 2 * chunks, 3 * chunks};
        }

        /** Row n's scales ({@link PackedGptq#scale}) and negated zeros ({@link PackedGptq#zero}) into slot i. */
        void load(int i, int n) {
            // read in place (no copy to an array first: the same speed, measured, and one buffer less)
            MemorySegment s = w.scales(), z = w.zeros();
            long at = 2L * n * groups;
            for (int g = 0; g < groups; g++) {
                scales[SLOTS * g + i] = Float.float16ToFloat(s.get(ValueLayout.JAVA_SHORT, at + 2L * g));
                negZeros[SLOTS * g + i] = -z.get(ValueLayout.JAVA_SHORT, at + 2L * g);
            }
        }

        /** y[at + n + i] = outputs[i] (+ bias) for the outputs n + i <= last. */
        void store(float[] y, int at, float[] bias, int n, int last) {
            for (int i = 0; i < SLOTS && n + i <= last; i++) y[at + n + i] = bias == null ? outputs[i] : outputs[i] + bias[n + i];
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
