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
import java.nio.ByteOrder;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.F2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
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
    /** Four (eight) floats: the chunk steps of four (eight) outputs side by side, one per lane. */
    private static final VectorSpecies<Float> QUAD = FloatVector.SPECIES_128;
    private static final VectorSpecies<Integer> INT_QUAD = IntVector.SPECIES_128;
    private static final VectorSpecies<Float> OCT = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> INT_OCT = IntVector.SPECIES_256;
    /**
     * The transposed reduction, which sums the lanes of four (eight) outputs' vectors into lanes 0..3 (0..7) of one:
     * level k adds each vector to itself with lane i swapped with lane i ^ 2^k (SWAP), and blends two such vectors,
     * taking the second one's lanes where bit k of the lane index is set (BIT); the last levels, past the outputs'
     * count, only add (SWAP8 is used only where L = 16). About one shuffle and two adds per output and level, where a
     * reduction per output ({@code reduceLanes}) costs several dependent shuffles.
     */
    private static final VectorShuffle<Float> SWAP1F = VectorShuffle.fromOp(FLOATS, i -> i ^ 1);
    private static final VectorShuffle<Float> SWAP2F = VectorShuffle.fromOp(FLOATS, i -> i ^ 2);
    private static final VectorShuffle<Float> SWAP4F = VectorShuffle.fromOp(FLOATS, i -> i ^ 4);
    private static final VectorShuffle<Float> SWAP8F = VectorShuffle.fromOp(FLOATS, i -> L > 8 ? i ^ 8 : i);
    private static final VectorMask<Float> BIT0F = VectorMask.fromLong(FLOATS, 0xAAAAL);
    private static final VectorMask<Float> BIT1F = VectorMask.fromLong(FLOATS, 0xCCCCL);
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
     * {@code V = q . x} in exact integers ({@code x = 254 hi + lo}), then
     * {@code v = fma(-z[n,g], (float) S[r,c], (float) V)} and {@code acc = fma(v, s[n,g] * e[r,c], acc)} in chunk order;
     * {@code y = acc (+ bias)}. A batch is computed four tokens per row at a time ({@link #tokenTile4},
     * {@link #tokenTile8}: each code vector unpacked once for four tokens), the tokens left over eight rows (4-bit,
     * {@link #tokenRow4}) or four rows (8-bit, {@link #tokenRow8}) at a time. The chunk steps of a tile's outputs run
     * side by side in the lanes of one vector, lane by lane the same float operations, after the transposed reduction
     * has put each output's V in its lane; the scales and zeros come from {@link InterleavedParams}, one vector load
     * per group for all the rows of a tile.
     *
     * <p>Exactness: codes and activations are integers held exactly in float32, and every float sum stays below 2^24.
     * 4-bit codes (<= 15) meet the folded {@code x} ({@link #foldedPlane}, |x| <= 254 * 127 + 127 = 32385): a chunk has
     * at most 64 / L <= 8 steps, so a lane sums at most 16 products (< 2^23), converted to ints once per chunk. Against
     * x, 8-bit codes (|q| <= 128) allow only 4 products a lane, so the 8-bit tile converts its sums every 4 steps, and
     * the 8-bit row kernel, where those conversions and their short loops cost most, meets the two planes apart
     * ({@link #splitPlanes}, |hi|, |lo| <= 127): a chunk's plane dot is at most 128 * 128 * 127 < 2^21, summed in
     * floats, and only {@code 254 V_hi + V_lo} is formed in ints.
     *
     * <p>The tiles' vector expressions are written out rather than put in helper methods: C2 compiles a small helper on
     * its own first and then will not inline its (boxing) code into the loop, which then runs several times slower.
     */
    static void int8Gemm(PackedGptq w, InterleavedParams p, float[] xs, float[] e, int[] sums, int rows, float[] y, float[] bias,
                         int n0, int n1) {
        boolean eight = w.storedBits() == 8;
        int tileRows = eight ? 4 : 8;
        float[] outputs = new float[tileRows], tile = new float[4];
        int chunks = w.chunks();
        int[] tokenStride = {0, chunks, 2 * chunks, 3 * chunks}; // four consecutive tokens' chunk values in e and sums
        // chunks and tiles start at multiples of 8 rows (a block of p), so that one load gives a tile's scales and zeros;
        // a tile computes the rows of its block before n0 too and stores only those in [n0, n1)
        for (int c0 = n0 & -InterleavedParams.ROWS; c0 < n1; c0 += ROW_CHUNK) {
            int first = Math.max(c0, n0), last = Math.min(n1, c0 + ROW_CHUNK) - 1;
            int r = 0;
            for (; r < tiledTokens(rows); r += 4) {
                for (int n = first; n <= last; n++) {
                    if (eight) {
                        tokenTile8(w, p, xs, e, sums, tokenStride, tile, y, bias, n, r);
                    } else {
                        tokenTile4(w, p, xs, e, sums, tokenStride, tile, y, bias, n, r);
                    }
                }
            }
            for (; r < rows; r++) { // the tokens left over
                for (int m = first & -tileRows; m <= last; m += tileRows) {
                    if (eight) {
                        tokenRow8(w, p, xs, activationsAt(w, rows, r), e, sums, outputs, m, first, last, r);
                    } else {
                        tokenRow4(w, p, xs, activationsAt(w, rows, r), e, sums, outputs, m, first, last, r);
                    }
                    store(outputs, y, r * w.out(), bias, m, first, last);
                }
            }
        }
    }

    /** {@code y[at + n] = outputs[n - m] (+ bias[n])} for the tile's rows m.. that lie in [first, last]. */
    private static void store(float[] outputs, float[] y, int at, float[] bias, int m, int first, int last) {
        for (int n = Math.max(m, first); n <= Math.min(last, m + outputs.length - 1); n++) {
            y[at + n] = bias == null ? outputs[n - m] : outputs[n - m] + bias[n];
        }
    }

    /**
     * Outputs m..m+7 of token r into {@code outputs} (m a multiple of 8; rows outside [first, last] read the codes of
     * the nearest row inside, and their outputs are not stored), 4-bit codes: each step's code vector holds L bytes
     * of each row; its low nibbles meet the token's activations x[sL..], its high nibbles x[half + sL..] (slot order,
     * gptq4j.h). Eight rows per pass, so that the per-chunk work (loop entry, reduction, float steps) is shared by
     * eight outputs; one accumulator per row, which stays exact: a chunk has at most 64 / L <= 8 steps, so a lane sums
     * at most 16 products (< 2^23).
     */
    private static void tokenRow4(PackedGptq w, InterleavedParams p, float[] xs, int t, float[] e, int[] sums, float[] outputs,
                                  int m, int first, int last, int r) {
        int n = Math.clamp(m, first, last), n1 = Math.clamp(m + 1, first, last), n2 = Math.clamp(m + 2, first, last);
        int n3 = Math.clamp(m + 3, first, last), n4 = Math.clamp(m + 4, first, last), n5 = Math.clamp(m + 5, first, last);
        int n6 = Math.clamp(m + 6, first, last), n7 = Math.clamp(m + 7, first, last);
        int[] pairs = p.pairs();
        int pm = p.at(m, 0); // the tile's pairs of group g start at pm + 8g
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        int chunks = chunkGroup.length;
        long rb = w.rowBytes(), o0 = n * rb, o1 = n1 * rb, o2 = n2 * rb, o3 = n3 * rb, o4 = n4 * rb, o5 = n5 * rb, o6 = n6 * rb, o7 = n7 * rb;
        FloatVector acc = FloatVector.zero(OCT); // lanes: rows m..m+7
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
            // lanes 0..7: V of rows m..m+7; the chunk steps (gptq4j.h), lane by lane: v = V - z S, acc += v (s e)
            int g = chunkGroup[c], rc = r * chunks + c;
            // the rows' (scale, zero) pairs (InterleavedParams): zero = pair >> 16; the F16 scale's exponent and mantissa
            // moved to float32's places, its sign to bit 31, times 2^112 (exact: Float.float16ToFloat's bits)
            IntVector sz = IntVector.fromArray(INT_OCT, pairs, pm + InterleavedParams.ROWS * g);
            FloatVector zero = (FloatVector) sz.lanewise(ASHR, 16).convertShape(I2F, OCT, 0);
            FloatVector scale = sz.and(0x7FFF).lanewise(LSHL, 13).or(sz.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(InterleavedParams.F16_EXPONENT_BIAS);
            FloatVector v = zero.fma(FloatVector.broadcast(OCT, -sums[rc]), (FloatVector) dots.convertShape(I2F, OCT, 0));
            acc = v.fma(scale.mul(e[rc]), acc);
        }
        acc.intoArray(outputs, 0);
    }

    /**
     * Outputs m..m+3 of token r into {@code outputs} (m a multiple of 4; rows outside [first, last] as in
     * {@link #tokenRow4}), 8-bit codes (slots in order) against the two planes apart ({@link #splitPlanes}): each
     * step's code vector (L codes of a row) meets L slots of hi and of lo. A lane sums at most 16 products
     * {@code |q hi| <= 128 * 127} per chunk, a chunk's plane dot at most 128 (< 2^21): exact in floats, reduced as
     * floats, and only then {@code V = 254 V_hi + V_lo} in ints. The rows run as two pairs, one loop over the chunk
     * each: where the JIT has 16 vector registers (AVX2) it unrolled one four-row loop and then kept the eight sums on
     * the stack and converted each code vector twice (PrintAssembly); as pairs, JMH 11008 x 4096, one row, 2 threads,
     * JIT held to AVX2: 9.3-10.5 -> 10.7-12.5 GB/s (with 512-bit vectors and 32 registers 16.1-17.8 against 16.4-18.7).
     */
    private static void tokenRow8(PackedGptq w, InterleavedParams p, float[] xs, int t, float[] e, int[] sums, float[] outputs,
                                  int m, int first, int last, int r) {
        int n0 = Math.clamp(m, first, last), n1 = Math.clamp(m + 1, first, last), n2 = Math.clamp(m + 2, first, last);
        int n3 = Math.clamp(m + 3, first, last);
        int[] pairs = p.pairs();
        int pm = p.at(m, 0); // the tile's pairs of group g start at pm + 8g
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        int padded = w.nb() * 32, chunks = chunkGroup.length; // token r's hi plane at t, its lo plane at t + padded
        long rb = w.rowBytes(), o0 = n0 * rb, o1 = n1 * rb, o2 = n2 * rb, o3 = n3 * rb;
        FloatVector acc = FloatVector.zero(QUAD); // lanes: rows m..m+3
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], steps = 32 * (chunkBlock[c + 1] - b0) / L, x0 = t + 32 * b0;
            long cb = 32L * b0;
            FloatVector h0 = FloatVector.zero(FLOATS), l0 = h0, h1 = h0, l1 = h0, h2 = h0, l2 = h0, h3 = h0, l3 = h0;
            // h += q * hi, l += q * lo, per row: rows 0 1 over the chunk, then rows 2 3 (see the method's comment)
            for (int s = 0; s < steps; s++) {
                long ca = cb + (long) s * L;
                FloatVector xh = FloatVector.fromArray(FLOATS, xs, x0 + s * L), xl = FloatVector.fromArray(FLOATS, xs, x0 + padded + s * L);
                FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o0 + ca, LE).convertShape(B2F, FLOATS, 0);
                h0 = q0.fma(xh, h0);
                l0 = q0.fma(xl, l0);
                FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o1 + ca, LE).convertShape(B2F, FLOATS, 0);
                h1 = q1.fma(xh, h1);
                l1 = q1.fma(xl, l1);
            }
            for (int s = 0; s < steps; s++) {
                long ca = cb + (long) s * L;
                FloatVector xh = FloatVector.fromArray(FLOATS, xs, x0 + s * L), xl = FloatVector.fromArray(FLOATS, xs, x0 + padded + s * L);
                FloatVector q2 = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o2 + ca, LE).convertShape(B2F, FLOATS, 0);
                h2 = q2.fma(xh, h2);
                l2 = q2.fma(xl, l2);
                FloatVector q3 = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, o3 + ca, LE).convertShape(B2F, FLOATS, 0);
                h3 = q3.fma(xh, h3);
                l3 = q3.fma(xl, l3);
            }
            // the four rows' plane dots into lanes 0..3 (floats: exact), then V = 254 V_hi + V_lo (ints)
            FloatVector mh01 = h0.add(h0.rearrange(SWAP1F)).blend(h1.add(h1.rearrange(SWAP1F)), BIT0F);
            FloatVector mh23 = h2.add(h2.rearrange(SWAP1F)).blend(h3.add(h3.rearrange(SWAP1F)), BIT0F);
            FloatVector ml01 = l0.add(l0.rearrange(SWAP1F)).blend(l1.add(l1.rearrange(SWAP1F)), BIT0F);
            FloatVector ml23 = l2.add(l2.rearrange(SWAP1F)).blend(l3.add(l3.rearrange(SWAP1F)), BIT0F);
            FloatVector dh = mh01.add(mh01.rearrange(SWAP2F)).blend(mh23.add(mh23.rearrange(SWAP2F)), BIT1F);
            FloatVector dl = ml01.add(ml01.rearrange(SWAP2F)).blend(ml23.add(ml23.rearrange(SWAP2F)), BIT1F);
            dh = dh.add(dh.rearrange(SWAP4F));
            dl = dl.add(dl.rearrange(SWAP4F));
            if (L > 8) {
                dh = dh.add(dh.rearrange(SWAP8F));
                dl = dl.add(dl.rearrange(SWAP8F));
            }
            IntVector dots = ((IntVector) dh.convertShape(F2I, INT_QUAD, 0)).mul(ActivationQuantizer.HI_WEIGHT).add(dl.convertShape(F2I, INT_QUAD, 0));
            // lanes 0..3: V of rows m..m+3; the chunk steps (gptq4j.h), lane by lane
            int g = chunkGroup[c], rc = r * chunks + c;
            IntVector sz = IntVector.fromArray(INT_QUAD, pairs, pm + InterleavedParams.ROWS * g); // as in tokenRow4
            FloatVector zero = (FloatVector) sz.lanewise(ASHR, 16).convertShape(I2F, QUAD, 0);
            FloatVector scale = sz.and(0x7FFF).lanewise(LSHL, 13).or(sz.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats().mul(InterleavedParams.F16_EXPONENT_BIAS);
            FloatVector v = zero.fma(FloatVector.broadcast(QUAD, -sums[rc]), (FloatVector) dots.convertShape(I2F, QUAD, 0));
            acc = v.fma(scale.mul(e[rc]), acc);
        }
        acc.intoArray(outputs, 0);
    }

    /**
     * Output n of tokens r..r+3, 4-bit codes: each code vector of a step, unpacked once, meets four tokens' folded
     * activations (as in {@link #tokenRow4}); a lane sums at most 16 products per chunk (< 2^23), lo and hi apart.
     */
    private static void tokenTile4(PackedGptq w, InterleavedParams p, float[] xs, float[] e, int[] sums, int[] tokenStride,
                                   float[] tile, float[] y, float[] bias, int n, int r) {
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        int padded = w.nb() * 32, chunks = chunkGroup.length;
        int t0 = r * padded, t1 = t0 + padded, t2 = t1 + padded, t3 = t2 + padded;
        int[] pairs = p.pairs();
        int at = p.at(n, 0);
        long o = n * w.rowBytes();
        FloatVector acc = FloatVector.zero(QUAD); // lanes: tokens r..r+3
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], nbk = chunkBlock[c + 1] - b0, steps = 16 * nbk / L, x0 = 32 * b0, half = 16 * nbk;
            long cb = o + 16L * b0;
            FloatVector a0 = FloatVector.zero(FLOATS), d0 = a0, a1 = a0, d1 = a0, a2 = a0, d2 = a0, a3 = a0, d3 = a0;
            for (int s = 0; s < steps; s++) {
                int ka = x0 + s * L, kd = ka + half; // the slots of the low nibbles and of the high ones
                IntVector q = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, cb + (long) s * L, LE).convertShape(B2I, INTS, 0);
                FloatVector qa = (FloatVector) q.and(0xF).convertShape(I2F, FLOATS, 0);
                FloatVector qd = (FloatVector) q.lanewise(LSHR, 4).and(0xF).convertShape(I2F, FLOATS, 0);
                a0 = qa.fma(FloatVector.fromArray(FLOATS, xs, t0 + ka), a0);
                d0 = qd.fma(FloatVector.fromArray(FLOATS, xs, t0 + kd), d0);
                a1 = qa.fma(FloatVector.fromArray(FLOATS, xs, t1 + ka), a1);
                d1 = qd.fma(FloatVector.fromArray(FLOATS, xs, t1 + kd), d1);
                a2 = qa.fma(FloatVector.fromArray(FLOATS, xs, t2 + ka), a2);
                d2 = qd.fma(FloatVector.fromArray(FLOATS, xs, t2 + kd), d2);
                a3 = qa.fma(FloatVector.fromArray(FLOATS, xs, t3 + ka), a3);
                d3 = qd.fma(FloatVector.fromArray(FLOATS, xs, t3 + kd), d3);
            }
            // lo + hi per lane (< 2^24: exact), then the four tokens' dots into lanes 0..3 as ints
            IntVector v0 = (IntVector) a0.add(d0).convertShape(F2I, INTS, 0), v1 = (IntVector) a1.add(d1).convertShape(F2I, INTS, 0);
            IntVector v2 = (IntVector) a2.add(d2).convertShape(F2I, INTS, 0), v3 = (IntVector) a3.add(d3).convertShape(F2I, INTS, 0);
            IntVector m01 = v0.add(v0.rearrange(SWAP1)).blend(v1.add(v1.rearrange(SWAP1)), BIT0);
            IntVector m23 = v2.add(v2.rearrange(SWAP1)).blend(v3.add(v3.rearrange(SWAP1)), BIT0);
            IntVector dots = m01.add(m01.rearrange(SWAP2)).blend(m23.add(m23.rearrange(SWAP2)), BIT1);
            dots = dots.add(dots.rearrange(SWAP4));
            if (L > 8) dots = dots.add(dots.rearrange(SWAP8));
            // the chunk steps (gptq4j.h), lane by lane
            int g = chunkGroup[c], rc = r * chunks + c;
            FloatVector sum = (FloatVector) IntVector.fromArray(INT_QUAD, sums, rc, tokenStride, 0).convertShape(I2F, QUAD, 0);
            int sz = pairs[at + InterleavedParams.ROWS * g]; // row n's (scale, zero) of group g
            FloatVector v = sum.fma(FloatVector.broadcast(QUAD, -InterleavedParams.zero(sz)), (FloatVector) dots.convertShape(I2F, QUAD, 0));
            acc = v.fma(FloatVector.fromArray(QUAD, e, rc, tokenStride, 0).mul(InterleavedParams.scale(sz)), acc);
        }
        acc.intoArray(tile, 0);
        storeColumn(tile, y, w.out(), bias, n, r);
    }

    /** Steps of 8-bit products that a float lane may sum exactly against the folded x (see {@link #int8Gemm}). */
    private static final int EIGHT_BIT_FLUSH = 4;

    /**
     * Output n of tokens r..r+3, 8-bit codes (slots in order) against the folded x: code vectors 2s and 2s+1 (L codes
     * each) meet x[2sL..] and x[(2s+1)L..] of four tokens; the float sums are converted to ints every
     * {@value #EIGHT_BIT_FLUSH} steps. (Against the planes apart, as in {@link #tokenRow8}, a code would cost two
     * multiply-adds per token instead of one: 25% slower here with 512-bit vectors.) A method apart from
     * {@link #tokenTile4}, whose preamble and chunk steps it repeats: one method holding both tiles ran 64 tokens
     * 10-35% slower with the JIT held to AVX2.
     */
    private static void tokenTile8(PackedGptq w, InterleavedParams p, float[] xs, float[] e, int[] sums, int[] tokenStride,
                                   float[] tile, float[] y, float[] bias, int n, int r) {
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        MemorySegment codes = w.codes();
        int padded = w.nb() * 32, chunks = chunkGroup.length;
        int t0 = r * padded, t1 = t0 + padded, t2 = t1 + padded, t3 = t2 + padded;
        int[] pairs = p.pairs();
        int at = p.at(n, 0);
        long o = n * w.rowBytes();
        FloatVector acc = FloatVector.zero(QUAD); // lanes: tokens r..r+3
        for (int c = 0; c < chunks; c++) {
            int b0 = chunkBlock[c], steps = 16 * (chunkBlock[c + 1] - b0) / L, x0 = 32 * b0;
            long cb = o + 32L * b0;
            IntVector v0 = IntVector.zero(INTS), v1 = v0, v2 = v0, v3 = v0;
            for (int s0 = 0; s0 < steps; s0 += EIGHT_BIT_FLUSH) {
                FloatVector a0 = FloatVector.zero(FLOATS), d0 = a0, a1 = a0, d1 = a0, a2 = a0, d2 = a0, a3 = a0, d3 = a0;
                for (int s = s0; s < Math.min(steps, s0 + EIGHT_BIT_FLUSH); s++) {
                    int ka = x0 + 2 * s * L, kd = ka + L;
                    FloatVector qa = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, cb + 2L * s * L, LE).convertShape(B2F, FLOATS, 0);
                    FloatVector qd = (FloatVector) ByteVector.fromMemorySegment(BYTES, codes, cb + (2L * s + 1) * L, LE).convertShape(B2F, FLOATS, 0);
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
            // the four tokens' dots into lanes 0..3 (ints: exact)
            IntVector m01 = v0.add(v0.rearrange(SWAP1)).blend(v1.add(v1.rearrange(SWAP1)), BIT0);
            IntVector m23 = v2.add(v2.rearrange(SWAP1)).blend(v3.add(v3.rearrange(SWAP1)), BIT0);
            IntVector dots = m01.add(m01.rearrange(SWAP2)).blend(m23.add(m23.rearrange(SWAP2)), BIT1);
            dots = dots.add(dots.rearrange(SWAP4));
            if (L > 8) dots = dots.add(dots.rearrange(SWAP8));
            // the chunk steps (gptq4j.h), lane by lane
            int g = chunkGroup[c], rc = r * chunks + c;
            FloatVector sum = (FloatVector) IntVector.fromArray(INT_QUAD, sums, rc, tokenStride, 0).convertShape(I2F, QUAD, 0);
            int sz = pairs[at + InterleavedParams.ROWS * g]; // row n's (scale, zero) of group g
            FloatVector v = sum.fma(FloatVector.broadcast(QUAD, -InterleavedParams.zero(sz)), (FloatVector) dots.convertShape(I2F, QUAD, 0));
            acc = v.fma(FloatVector.fromArray(QUAD, e, rc, tokenStride, 0).mul(InterleavedParams.scale(sz)), acc);
        }
        acc.intoArray(tile, 0);
        storeColumn(tile, y, w.out(), bias, n, r);
    }

    /** {@code y[r + i][n] = tile[i] (+ bias[n])} for the four tokens of a tile. */
    private static void storeColumn(float[] tile, float[] y, int out, float[] bias, int n, int r) {
        for (int i = 0; i < 4; i++) y[(r + i) * out + n] = bias == null ? tile[i] : tile[i] + bias[n];
    }

    /** The tokens of a batch of {@code rows} that the tiles take, four at a time ({@link #tokenTile4}, {@link #tokenTile8}). */
    private static int tiledTokens(int rows) {
        return rows & -4;
    }

    /**
     * Where token r's activations start in the kernels' float array: the tiles' tokens hold {@code x = 254 hi + lo}
     * ({@link #foldedPlane}), one float per slot, and so do the other tokens of 4-bit layers; the other tokens of 8-bit
     * layers hold the two planes apart ({@link #splitPlanes}), two floats per slot, after the tiles' tokens.
     */
    static int activationsAt(PackedGptq w, int rows, int r) {
        int padded = w.nb() * 32, tiled = tiledTokens(rows);
        return splitTokens(w, rows, r) ? (tiled + 2 * (r - tiled)) * padded : r * padded;
    }

    /** The floats of the activations of a batch of {@code rows}: where a token past the last would start. */
    static int activationFloats(PackedGptq w, int rows) {
        return activationsAt(w, rows, rows);
    }

    /** Whether token r's activations are {@link #splitPlanes} (else {@link #foldedPlane}). */
    static boolean splitTokens(PackedGptq w, int rows, int r) {
        return w.storedBits() == 8 && r >= tiledTokens(rows);
    }

    /**
     * The activation planes folded into the one integer each pair stands for, {@code x = 254 hi + lo}, as a float
     * (exact: |x| <= 32385), for slots {@code [k0, k1)} of the token whose planes start at {@code from}: at
     * {@code xs[at + k]}.
     */
    static void foldedPlane(byte[] hi, byte[] lo, int from, float[] xs, int at, int k0, int k1) {
        for (int k = k0; k < k1; k++) xs[at + k] = ActivationQuantizer.HI_WEIGHT * hi[from + k] + lo[from + k];
    }

    /**
     * The two planes apart, as floats, for slots {@code [k0, k1)} of the token whose planes start at {@code from} in
     * {@code hi} and {@code lo}: hi at {@code xs[at + k]}, lo at {@code xs[at + padded + k]}.
     */
    static void splitPlanes(byte[] hi, byte[] lo, int from, float[] xs, int at, int padded, int k0, int k1) {
        for (int k = k0; k < k1; k++) {
            xs[at + k] = hi[from + k];
            xs[at + padded + k] = lo[from + k];
        }
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
