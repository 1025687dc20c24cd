package org.gptq4j.kernel;

/**
 * Quantizes activation rows to int8 for the int8-activation kernels, gathering them through the act-order
 * permutation on the way. Each 32-wide weight block b is split in four sub-blocks of 8 positions, each with its own
 * scale: {@code x'[k] = x[perm[k]] ~= d * xq[k]}, {@code d = max |x'| / 127} over the sub-block. 8 rather than 32 keeps
 * the relative error of a product near 0.4% instead of 0.6-0.8% (the fixtures' cosine tolerance needs it on 2- and
 * 3-bit layers) and costs the kernels nothing: the SIMD dot of a block ends in 8 int32 lanes, lane i summing
 * positions 4i..4i+3 (for 4-bit storage, 0..15 in lanes 0-3 and 16..31 in lanes 4-7), so scale lanes
 * {@code xd[b][i] = d(sub-block i/2)} multiply them in one vector op. Per group,
 * {@code xgs[g] = sum over the group of d * sum xq}, the activation sum that folds the zero points in.
 * Padding positions ({@code perm[k] < 0}, or {@code k >= in} without a permutation) quantize to 0.
 */
public final class ActivationQuantizer {
    private ActivationQuantizer() {}

    /**
     * @param x    {@code [rows][in]} float activations
     * @param perm permuted position k reads feature {@code perm[k]} (-1: padding); null for the identity
     * @param gblk first block of each group, then the block count ({@code groups + 1} entries)
     * @param xq   out: {@code [rows][nb*32]}; {@code xd} out: {@code [rows][nb]}; {@code xgs} out: {@code [rows][groups]}
     */
    public static void quantize(float[] x, int rows, int in, int[] perm, int nb, int[] gblk, byte[] xq, float[] xd, float[] xgs) {
        int groups = gblk.length - 1;
        for (int r = 0; r < rows; r++) {
            int xo = r * in, qo = r * nb * 32;
            for (int g = 0; g < groups; g++) {
                float groupSum = 0;
                for (int b = gblk[g]; b < gblk[g + 1]; b++) {
                    for (int sub = 0; sub < 4; sub++) {
                        int k0 = b * 32 + sub * 8;
                        float amax = 0;
                        for (int k = k0; k < k0 + 8; k++) amax = Math.max(amax, Math.abs(at(x, xo, in, perm, k)));
                        float d = amax / 127f, id = amax == 0 ? 0 : 127f / amax;
                        int isum = 0;
                        for (int k = k0; k < k0 + 8; k++) {
                            int q = Math.round(at(x, xo, in, perm, k) * id); // in [-127, 127]
                            xq[qo + k] = (byte) q;
                            isum += q;
                        }
                        int lane = (r * nb + b) * 8 + 2 * sub; // the two int32 lanes that sum these 8 positions
                        xd[lane] = d;
                        xd[lane + 1] = d;
                        groupSum += d * isum;
                    }
                }
                xgs[r * groups + g] = groupSum;
            }
        }
    }

    /** x'[k]: the feature at permuted position k, or 0 for padding. */
    static float at(float[] x, int xo, int in, int[] perm, int k) {
        if (perm == null) return k < in ? x[xo + k] : 0f;
        int f = perm[k];
        return f < 0 ? 0f : x[xo + f];
    }
}
