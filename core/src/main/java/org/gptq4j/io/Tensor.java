package org.gptq4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named tensor whose bytes are a zero-copy slice of a memory-mapped file (little-endian).
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
