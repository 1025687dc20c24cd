package org.gptq4j.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteOrder;

/**
 * The pure-Java kernels over {@link PackedGptq}, always available: the int8-activation product (the same math as the
 * native kernels) and the exact float32-activation product. Each processes output rows {@code [n0, n1)} in chunks
 * that stay in cache while every token of the batch passes over them, so the weights are read once per call.
 */
final class VectorKernels {
    private VectorKernels() {}

    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int ROW_CHUNK = 16;

    /**
     * The int8-activation product of {@link ActivationQuantizer}'s planes, with the same bits as the native kernels:
     * per chunk c of group g, {@code V = 254 (q . hi) + (q . lo)} in exact integers, then
     * {@code v = fma(-z[n,g], (float) S[r,c], (float) V)} and {@code acc = fma(v, s[n,g] * e[r,c], acc)} in chunk order;
     * {@code y = acc (+ bias)}.
     */
    static void int8Gemm(PackedGptq w, byte[] hi, byte[] lo, float[] e, int[] sums, int rows, float[] y, float[] bias, int n0, int n1) {
        int padded = w.nb() * 32, chunks = w.chunks(), out = w.out();
        for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {
            int c1 = Math.min(n1, c0 + ROW_CHUNK);
            for (int r = 0; r < rows; r++) {
                for (int n = c0; n < c1; n++) {
                    float v = int8Row(w, n, hi, lo, r * padded, e, sums, r * chunks);
                    y[r * out + n] = bias == null ? v : v + bias[n];
                }
            }
        }
    }

    /** One output of one token: per chunk, the integer dots of both planes widened through shorts, then one fma. */
    private static float int8Row(PackedGptq w, int n, byte[] hi, byte[] lo, int xo, float[] e, int[] sums, int eo) {
        int[] chunkBlock = w.chunkBlock(), chunkGroup = w.chunkGroup();
        long row = n * w.rowBytes();
        boolean eight = w.storedBits() == 8;
        float acc = 0;
        for (int c = 0; c < chunkGroup.length; c++) {
            IntVector ph = IntVector.zero(I256), pl = IntVector.zero(I256);
            int b0 = chunkBlock[c], nbk = chunkBlock[c + 1] - b0, x0 = xo + 32 * b0;
            for (int i = 0; i < nbk; i++) {
                ShortVector q0, q1; // two runs of 16 codes, and the slots they meet: k0.. and k1..
                int k0, k1;
                if (eight) { // positions in order
                    q0 = widen(ByteVector.fromMemorySegment(B128, w.codes(), row + 32L * (b0 + i), LE));
                    q1 = widen(ByteVector.fromMemorySegment(B128, w.codes(), row + 32L * (b0 + i) + 16, LE));
                    k0 = x0 + 32 * i;
                    k1 = k0 + 16;
                } else { // low nibbles of byte j meet slot j, high nibbles slot 16 nbk + j
                    ByteVector v = ByteVector.fromMemorySegment(B128, w.codes(), row + 16L * (b0 + i), LE);
                    q0 = widen(v.and((byte) 0x0F));
                    q1 = widen(v.lanewise(VectorOperators.LSHR, 4));
                    k0 = x0 + 16 * i;
                    k1 = x0 + 16 * nbk + 16 * i;
                }
                ph = ph.add(dot(q0, q1, hi, k0, k1));
                pl = pl.add(dot(q0, q1, lo, k0, k1));
            }
            int g = chunkGroup[c];
            int v1 = 254 * ph.reduceLanes(VectorOperators.ADD) + pl.reduceLanes(VectorOperators.ADD);
            float v = Math.fma(-w.zero(n, g), (float) sums[eo + c], (float) v1);
            acc = Math.fma(v, w.scale(n, g) * e[eo + c], acc);
        }
        return acc;
    }

    /** q0 . x[k0..k0+16) + q1 . x[k1..k1+16), pairwise summed in 16 shorts (|sum| <= 2 * 128 * 127), widened to ints. */
    private static IntVector dot(ShortVector q0, ShortVector q1, byte[] x, int k0, int k1) {
        ShortVector p = q0.mul(widen(ByteVector.fromArray(B128, x, k0))).add(q1.mul(widen(ByteVector.fromArray(B128, x, k1))));
        return ((IntVector) p.convertShape(VectorOperators.S2I, I256, 0)).add((IntVector) p.convertShape(VectorOperators.S2I, I256, 1));
    }

    private static ShortVector widen(ByteVector v) {
        return (ShortVector) v.convertShape(VectorOperators.B2S, S256, 0);
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
