package org.gptq4j.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
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
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int ROW_CHUNK = 16;

    /**
     * y[r][n] = sum_g s[n,g] * (sum_{b in g} sum_{sub-block u of b} d[r,u] * (q[n,u] . xq[r,u]) - z[n,g] * xgs[r,g]) + bias[n]
     * (see {@link ActivationQuantizer} for the activation scales).
     */
    static void int8Gemm(PackedGptq w, byte[] xq, float[] xd, float[] xgs, int rows, float[] y, float[] bias, int n0, int n1) {
        int nb = w.nb(), groups = w.groups(), out = w.out();
        for (int c0 = n0; c0 < n1; c0 += ROW_CHUNK) {
            int c1 = Math.min(n1, c0 + ROW_CHUNK);
            for (int r = 0; r < rows; r++) {
                for (int n = c0; n < c1; n++) {
                    float v = int8Row(w, n, xq, r * nb * 32, xd, r * nb, xgs, r * groups); // xd index in blocks
                    y[r * out + n] = bias == null ? v : v + bias[n];
                }
            }
        }
    }

    /** One output of one token: the group loop, with integer block dots widened through shorts. */
    private static float int8Row(PackedGptq w, int n, byte[] xq, int xqo, float[] xd, int xdo, float[] xgs, int xgo) {
        int groups = w.groups();
        int[] gblk = w.gblk();
        long row = n * w.rowBytes();
        boolean eight = w.storedBits() == 8;
        FloatVector acc = FloatVector.zero(F256);
        float zt = 0;
        for (int g = 0; g < groups; g++) {
            FloatVector ga = FloatVector.zero(F256);
            for (int b = gblk[g]; b < gblk[g + 1]; b++) {
                ShortVector lo, hi; // codes of positions 32b..32b+15 and 32b+16..32b+31
                if (eight) {
                    lo = (ShortVector) ByteVector.fromMemorySegment(B128, w.codes(), row + 32L * b, LE).convertShape(VectorOperators.B2S, S256, 0);
                    hi = (ShortVector) ByteVector.fromMemorySegment(B128, w.codes(), row + 32L * b + 16, LE).convertShape(VectorOperators.B2S, S256, 0);
                } else {
                    ByteVector c = ByteVector.fromMemorySegment(B128, w.codes(), row + 16L * b, LE);
                    lo = (ShortVector) c.and((byte) 0x0F).convertShape(VectorOperators.B2S, S256, 0);
                    hi = (ShortVector) c.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2S, S256, 0);
                }
                ShortVector xl = (ShortVector) ByteVector.fromArray(B128, xq, xqo + 32 * b).convertShape(VectorOperators.B2S, S256, 0);
                ShortVector xh = (ShortVector) ByteVector.fromArray(B128, xq, xqo + 32 * b + 16).convertShape(VectorOperators.B2S, S256, 0);
                ShortVector pl = lo.mul(xl), ph = hi.mul(xh); // |q x| <= 128 * 127 fits a short
                // positions 0-7, 8-15, 16-23, 24-31 each have their own activation scale (lanes 0, 2, 4, 6 of xd)
                int d = (xdo + b) * 8;
                ga = int8Part(pl, 0, xd[d], ga);
                ga = int8Part(pl, 1, xd[d + 2], ga);
                ga = int8Part(ph, 0, xd[d + 4], ga);
                ga = int8Part(ph, 1, xd[d + 6], ga);
            }
            float s = w.scale(n, g);
            acc = ga.fma(FloatVector.broadcast(F256, s), acc);
            zt += s * w.zero(n, g) * xgs[xgo + g];
        }
        return VectorMath.sumLanes(acc) - zt; // fixed lane order: the same bits compiled or not
    }

    /** acc + scale * (8 products of part {@code part} of {@code p}, widened to int then float) */
    private static FloatVector int8Part(ShortVector p, int part, float scale, FloatVector acc) {
        IntVector i = (IntVector) p.convertShape(VectorOperators.S2I, I256, part);
        return ((FloatVector) i.convertShape(VectorOperators.I2F, F256, 0)).fma(FloatVector.broadcast(F256, scale), acc);
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
