package org.gptq4j.kernel;

/**
 * Growable scratch arrays, one set per {@link ComputePool}: each named slot keeps the largest array asked for, so a
 * steady stream of forward passes allocates nothing. Not thread-safe across forward passes: one pass at a time.
 */
public final class Workspace {
    /** Slots of the linear kernels. */
    static final int GATHERED = 0, XE = 1, ROW = 2, JAVA_ACTIVATIONS = 3;
    /** Byte and int slots of the activation planes. */
    static final int HI = 0, LO = 1, SUMS = 0;
    private static final int SLOTS = 8, SLICES = 256;

    private final float[][] floats = new float[SLOTS * SLICES][];
    private final byte[][] bytes = new byte[SLOTS][];
    private final short[][] shorts = new short[SLICES][];
    private final int[][] ints = new int[SLOTS][];
    private NativePlanes nativePlanes;

    Workspace() {}

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

    /** An int array of at least {@code size} elements for {@code slot}. */
    public int[] ints(int slot, int size) {
        int[] a = ints[slot];
        if (a == null || a.length < size) ints[slot] = a = new int[size];
        return a;
    }

    /** The native kernels' activation planes (one buffer, grown to the largest batch). */
    NativePlanes nativePlanes() {
        if (nativePlanes == null) nativePlanes = new NativePlanes();
        return nativePlanes;
    }

    /** A short array private to one slice. */
    short[] shorts(int slice, int size) {
        short[] a = shorts[slice];
        if (a == null || a.length < size) shorts[slice] = a = new short[size];
        return a;
    }
}
