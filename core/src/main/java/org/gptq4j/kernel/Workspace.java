package org.gptq4j.kernel;

/**
 * Growable scratch arrays, one set per {@link ComputePool}: each named slot keeps the largest array asked for, so a
 * steady stream of forward passes allocates nothing. Not thread-safe across forward passes: one pass at a time.
 */
public final class Workspace {
    /** Slots of the linear kernels. */
    static final int GATHERED = 0, XD = 1, XGS = 2, ROW = 3;
    private static final int SLOTS = 8, SLICES = 256;

    private final float[][] floats = new float[SLOTS * SLICES][];
    private final byte[][] bytes = new byte[SLOTS][];
    private final short[][] shorts = new short[SLICES][];

    /** A float array of at least {@code size} elements for {@code slot} (contents undefined). */
    public float[] floats(int slot, int size) {
        return floats(slot, 0, size);
    }

    /** A float array private to one slice of a parallel loop. */
    public float[] floats(int slot, int slice, int size) {
        int i = slot * SLICES + slice;
        float[] a = floats[i];
        if (a == null || a.length < size) floats[i] = a = new float[size];
        return a;
    }

    /** A byte array of at least {@code size} elements for {@code slot}. */
    public byte[] bytes(int slot, int size) {
        byte[] a = bytes[slot];
        if (a == null || a.length < size) bytes[slot] = a = new byte[size];
        return a;
    }

    /** A short array private to one slice. */
    short[] shorts(int slice, int size) {
        short[] a = shorts[slice];
        if (a == null || a.length < size) shorts[slice] = a = new short[size];
        return a;
    }
}
