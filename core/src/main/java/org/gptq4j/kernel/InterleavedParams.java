package org.gptq4j.kernel;

import java.lang.foreign.ValueLayout;

/**
 * A layer's scales and zeros in the layout of the Java kernel's tiles ({@link VectorKernels}): output rows in blocks of
 * {@link #ROWS}, and per block and group the block's rows side by side, one int per row holding the F16 scale in its
 * low half and the int16 zero in its high half: {@code pairs[((n / 8) groups + g) 8 + n % 8]}. One vector load then
 * gives a group's scales and zeros for every row of a tile, where {@link PackedGptq}'s {@code [out][groups]} layout
 * would need a gather, or (as before) a copy of every row's values per tile: a quarter of a 4-bit decode step in cache.
 *
 * <p>Built once per layer at load, for the Java int8 kernels only: 4 bytes per row and group, as much as the
 * {@link PackedGptq} values it copies (0.2 GB for a 7B model at g128). Rows past the last of the final block repeat it.
 */
final class InterleavedParams {
    /** Rows per block: the widest tile ({@code VectorKernels.tokenRow4}). */
    static final int ROWS = 8;
    /**
     * 2^112: a float whose bits are an F16's exponent and mantissa moved to float32's places (and its sign to bit 31),
     * times this, is the F16's value, bit for bit {@link Float#float16ToFloat} for every finite F16 (the only ones a
     * layer holds), normal or subnormal: the Java tiles' conversion of scales and {@link VectorMath#halves}' of F16
     * weights, the Vector API having none.
     */
    static final float F16_EXPONENT_BIAS = 0x1p112f;

    private final int groups;
    private final int[] pairs;

    private InterleavedParams(int groups, int[] pairs) {
        this.groups = groups;
        this.pairs = pairs;
    }

    static InterleavedParams of(PackedGptq w) {
        int groups = w.groups(), out = w.out(), blocks = (out + ROWS - 1) / ROWS;
        int[] pairs = new int[blocks * groups * ROWS];
        for (int n = 0; n < blocks * ROWS; n++) {
            long at = (long) Math.min(n, out - 1) * groups;
            for (int g = 0; g < groups; g++) {
                pairs[index(groups, n, g)] = w.zeros().getAtIndex(ValueLayout.JAVA_SHORT, at + g) << 16
                        | Short.toUnsignedInt(w.scales().getAtIndex(ValueLayout.JAVA_SHORT, at + g));
            }
        }
        return new InterleavedParams(groups, pairs);
    }

    private static int index(int groups, int n, int g) {
        return ((n / ROWS) * groups + g) * ROWS + n % ROWS;
    }

    /**
     * Where row n's pair of group g lies in {@link #pairs}; those of group g + 1 lie {@link #ROWS} further, and those
     * of the rows after n in its block (up to the block's end) follow it.
     */
    int at(int n, int g) {
        return index(groups, n, g);
    }

    int[] pairs() {
        return pairs;
    }

    /** A pair's zero, its high half (the tiles' vector form: {@code pairs >> 16}, lane by lane). */
    static int zero(int pair) {
        return pair >> 16;
    }

    /** A pair's scale, the F16 in its low half (the tiles' vector form: {@link #F16_EXPONENT_BIAS}). */
    static float scale(int pair) {
        return Float.float16ToFloat((short) pair);
    }
}
