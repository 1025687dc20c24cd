package org.gptq4j.kernel;

/**
 * Quantizes activation rows for the int8-activation kernels, gathering them through the act-order permutation on the
 * way. Each chunk of a row ({@link PackedGptq#chunkBlock}: at most 128 positions inside one group) gets one scale and
 * two int8 planes, a coarse one and its residual:
 * <pre>
 *   u  = x'[k] * 127 / amax          (amax = max |x'| over the chunk, so |u| &lt;= 127)
 *   hi = round(u),  lo = round((u - hi) * 254)                 both in [-127, 127]
 *   x'[k] ~= e * (254 hi + lo),  e = amax / (127 * 254)        (about 15 bits: the error is at most e / 2)
 *   S  = sum over the chunk of (254 hi + lo)                   (folds the zero points in)
 * </pre>
 * Two int8 dot products per chunk keep the int8 units' speed (a 16x16 tile step, a VNNI instruction) at close to
 * float accuracy, with one scale per 128 positions: what lets the tile kernels apply a float epilogue only once per
 * chunk. The planes list each chunk's positions in {@link PackedGptq#slotPosition slot order}; {@code gather[s]} is the
 * input feature of slot s, or -1 for padding, which quantizes to 0. The native backend runs the same steps in C
 * ({@code gptq4j_quantize}, {@link NativeKernels#quantize}) with the same bits: rounding as {@link Math#round(float)}.
 */
public final class ActivationQuantizer {
    private ActivationQuantizer() {}

    /** The weight of the coarse plane: each slot stands for the integer {@code 254 hi + lo}. */
    static final int HI_WEIGHT = 254;

    /** 127 * 254: the integer range of {@code 254 hi + lo} per unit of {@code amax}. */
    private static final float STEPS = 127f * HI_WEIGHT;

    /**
     * Quantizes the chunks {@code [i0, i1)} of the rows laid end to end (chunk i is chunk {@code i % chunks} of row
     * {@code i / chunks}), so that even one row can be split over threads.
     *
     * @param x      {@code [rows][in]} float activations
     * @param gather slot s reads feature {@code gather[s]} (-1: padding; see {@link #gather}); null for the identity
     * @param w      the layer whose chunks to use ({@code nb}, {@code chunkBlock})
     * @param hi     out: {@code [rows][nb*32]}; {@code lo} out: the same; {@code e} out: {@code [rows][chunks]};
     *               {@code sums} out: {@code [rows][chunks]}
     */
    public static void quantizeChunks(float[] x, int i0, int i1, int in, int[] gather, PackedGptq w, byte[] hi, byte[] lo, float[] e, int[] sums) {
        int[] chunkBlock = w.chunkBlock();
        int chunks = w.chunks(), padded = w.nb() * 32;
        for (int i = i0; i < i1; i++) {
            int r = i / chunks, c = i % chunks;
            int xo = r * in, qo = r * padded;
            int k0 = chunkBlock[c] * 32, k1 = chunkBlock[c + 1] * 32;
            float amax = 0;
            for (int k = k0; k < k1; k++) amax = Math.max(amax, Math.abs(at(x, xo, in, gather, k)));
            float inv = amax == 0 ? 0 : 127f / amax;
            int sum = 0;
            for (int k = k0; k < k1; k++) {
                float u = at(x, xo, in, gather, k) * inv;
                int h = Math.round(u), l = Math.round((u - h) * HI_WEIGHT);
                hi[qo + k] = (byte) h;
                lo[qo + k] = (byte) Math.max(-127, Math.min(127, l));
                sum += HI_WEIGHT * h + lo[qo + k];
            }
            e[i] = amax / STEPS;
            sums[i] = sum;
        }
    }

    /**
     * The input feature of every slot of {@code w}'s activation planes through the act-order permutation {@code perm}
     * (position k reads feature {@code perm[k]}, -1 padding; null: the identity), or null when slots are features.
     */
    public static int[] gather(PackedGptq w, int[] perm) {
        int padded = w.nb() * 32;
        int[] gather = new int[padded];
        boolean identity = true;
        for (int s = 0; s < padded; s++) {
            int k = w.slotPosition(s);
            gather[s] = perm != null ? perm[k] : k < w.in() ? k : -1;
            identity &= gather[s] == (s < w.in() ? s : -1);
        }
        return identity ? null : gather;
    }

    /** x'[k]: the feature at permuted position (or slot) k, or 0 for padding. */
    static float at(float[] x, int xo, int in, int[] perm, int k) {
        if (perm == null) return k < in ? x[xo + k] : 0f;
        int f = perm[k];
        return f < 0 ? 0f : x[xo + f];
    }
}
