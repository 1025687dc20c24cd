package org.gptq4j.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A named tensor whose bytes (little-endian) are a zero-copy slice of a memory-mapped file, or, after
 * {@link #copyTo}, memory an {@link Arena} owns. Mapped bytes vanish if another process shrinks the file (a Java read
 * then throws {@link InternalError}, a native read crashes the JVM), so what the engine keeps past a load is a copy.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    /** Element i converted to float (F32, F16, BF16 only). */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(I16, i) & 0xFFFF) << 16);
            default -> throw new CheckpointException("tensor " + name + " is " + dtype + ", not a floating-point type");
        };
    }

    public int getInt(long i) {
        if (dtype != DType.I32) {
            throw new CheckpointException("tensor " + name + " is " + dtype + ", expected I32");
        }
        return data.getAtIndex(I32, i);
    }

    /** The whole tensor as floats (copies; meant for small tensors such as norms and scales). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = getFloat(i);
        return out;
    }

    public int[] toIntArray() {
        int[] out = new int[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = getInt(i);
        return out;
    }

    /** This tensor with its bytes copied into memory {@code arena} owns (64-byte aligned), independent of any file. */
    public Tensor copyTo(Arena arena) {
        return copyTo(arena, slice -> { });
    }

    /**
     * As {@link #copyTo(Arena)}, in runs of 4 MiB, handing each copied run of this tensor's bytes to {@code copied}
     * (which may, for one, release its file pages so that the source and the copy are not resident at once).
     */
    public Tensor copyTo(Arena arena, Consumer<MemorySegment> copied) {
        MemorySegment copy = arena.allocate(data.byteSize(), 64);
        for (long at = 0, run = 4L << 20; at < data.byteSize(); at += run) {
            long n = Math.min(run, data.byteSize() - at);
            MemorySegment.copy(data, at, copy, at, n);
            copied.accept(data.asSlice(at, n));
        }
        return new Tensor(name, dtype, shape, copy);
    }

    /**
     * Refuses a floating-point tensor holding NaN or an infinity, naming the first such element: a weight like that
     * makes every forward pass non-finite. One pass over the bytes (about 1 ns per element).
     */
    public Tensor requireFinite() {
        long n = elementCount();
        int chunk = 1 << 16;
        switch (dtype) {
            case F16, BF16 -> {
                short[] buf = new short[chunk];
                int exponent = dtype == DType.F16 ? 0x7C00 : 0x7F80; // all exponent bits set: infinity or NaN
                for (long start = 0; start < n; start += chunk) {
                    int len = (int) Math.min(chunk, n - start);
                    MemorySegment.copy(data, I16, start * 2, buf, 0, len);
                    for (int i = 0; i < len; i++) if ((buf[i] & exponent) == exponent) throw notFinite(start + i);
                }
            }
            case F32 -> {
                int[] buf = new int[chunk];
                for (long start = 0; start < n; start += chunk) {
                    int len = (int) Math.min(chunk, n - start);
                    MemorySegment.copy(data, I32, start * 4, buf, 0, len);
                    for (int i = 0; i < len; i++) if ((buf[i] & 0x7F800000) == 0x7F800000) throw notFinite(start + i);
                }
            }
            default -> throw new CheckpointException("tensor " + name + " is " + dtype + ", not a floating-point type");
        }
        return this;
    }

    private CheckpointException notFinite(long index) {
        return new CheckpointException("tensor " + name + " " + dtype + Arrays.toString(shape) + " holds " + getFloat(index)
                + " at element " + index + ": weights must be finite");
    }

    /** Refuses the tensor unless it has exactly this dtype and shape. */
    public Tensor require(DType expectedType, long... expectedShape) {
        if (dtype != expectedType || !Arrays.equals(shape, expectedShape)) {
            throw new CheckpointException("tensor " + name + " has dtype " + dtype + " and shape "
                    + Arrays.toString(shape) + ", expected " + expectedType + " " + Arrays.toString(expectedShape));
        }
        return this;
    }

    /** Refuses the tensor unless it has this shape and a floating-point dtype. */
    public Tensor requireFloat(long... expectedShape) {
        if ((dtype != DType.F16 && dtype != DType.BF16 && dtype != DType.F32) || !Arrays.equals(shape, expectedShape)) {
            throw new CheckpointException("tensor " + name + " has dtype " + dtype + " and shape "
                    + Arrays.toString(shape) + ", expected a float type (F16, BF16, F32) of shape "
                    + Arrays.toString(expectedShape));
        }
        return this;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
