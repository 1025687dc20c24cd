package org.gptq4j.kernel;

import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * An unquantized linear layer over a {@code [out, in]} F16/BF16/F32 weight tensor: the lm_head, tied embeddings, and
 * every layer of unquantized checkpoints. The model loader hands it a copy the engine owns ({@link Tensor#copyTo}),
 * never the mapped file, which another process could shrink. Activations stay float32 on every backend; the native
 * backend runs F16 weights through the C kernel (F16C conversion + FMA), BF16/F32 weights in plain Java; the Vector API
 * kernels widen F16 weights in vector registers where all are finite, and otherwise (and for BF16/F32) a row at a time
 * into a float copy.
 */
public final class DenseLinear implements Linear {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Tensor weight;
    private final float[] bias;
    private final int in, out;
    private final Kernels kernels;
    /** Whether the Java product reads the F16 weights in vectors ({@link Kernels#widensF16InVectors}). */
    private final boolean vectorF16;

    /** The layer on the kernels of {@code backend} ({@link Kernels#of(KernelBackend)}). */
    public DenseLinear(Tensor weight, float[] bias, KernelBackend backend) {
        this(weight, bias, Kernels.of(backend));
    }

    public DenseLinear(Tensor weight, float[] bias, Kernels kernels) {
        if (weight.rank() != 2) throw new IllegalArgumentException(weight + " is not a matrix");
        this.weight = weight;
        this.out = weight.dim(0);
        this.in = weight.dim(1);
        if (bias != null && bias.length != out) throw new IllegalArgumentException("bias of " + weight.name() + " has " + bias.length + " entries, expected " + out);
        this.bias = bias;
        this.kernels = kernels;
        this.vectorF16 = kernels.widensF16InVectors(weight);
        if (kernels.nativeCode() && weight.dtype() == DType.F16 && weight.data().isMapped()) {
            throw new IllegalArgumentException(weight.name() + ": the native kernels read only memory the engine owns, not a mapped"
                    + " file (copy the tensor with Tensor.copyTo)");
        }
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public long weightBytes() {
        return weight.data().byteSize();
    }

    Tensor weight() {
        return weight;
    }

    float[] bias() {
        return bias;
    }

    @Override
    public void apply(float[] x, float[] y, int rows, ComputePool pool) {
        kernels.dense(this, x, y, rows, pool);
    }

    /** {@link #apply} in Java over the kernels' {@link Kernels#dot}, float32 activations: all but the native F16 product. */
    void applyJava(float[] x, float[] y, int rows, ComputePool pool) {
        long work = (long) rows * in * out;
        if (vectorF16) {
            pool.parallelForSlices(out, work, (slice, start, end) -> applyF16(x, y, rows, start, end));
            return;
        }
        Workspace ws = pool.workspace();
        pool.parallelForSlices(out, work, (slice, start, end) -> {
            float[] w = ws.floats(Workspace.ROW, slice, in);
            short[] h = ws.shorts(slice, in);
            for (int n = start; n < end; n++) {
                // w = W[n, :] as floats, read once and used for every row of the batch
                long base = (long) n * in;
                if (weight.dtype() == DType.F16) {
                    MemorySegment.copy(weight.data(), F16, base * 2, h, 0, in);
                    for (int k = 0; k < in; k++) w[k] = Float.float16ToFloat(h[k]);
                } else {
                    for (int k = 0; k < in; k++) w[k] = weight.getFloat(base + k);
                }
                float b = bias == null ? 0f : bias[n];
                for (int r = 0; r < rows; r++) y[r * out + n] = kernels.dot(w, 0, x, r * in, in) + b;
            }
        });
    }

    /**
     * Outputs [start, end) of every row over the F16 weights read in vectors (the bits of {@link #applyJava}'s
     * widened copy and {@link VectorMath#dot}): the batch's rows in fours meet each weight row
     * ({@link VectorMath#f16Tokens}), one left over meets four weight rows at once ({@link VectorMath#f16Rows}).
     * Every output is summed alike, so a row's outputs do not depend on the batch around it.
     */
    private void applyF16(float[] x, float[] y, int rows, int start, int end) {
        for (int n0 = start; n0 < end; n0 += F16_PIECE) {
            int n1 = Math.min(end, n0 + F16_PIECE), r = 0;
            for (; r + 4 <= rows; r += 4) VectorMath.f16Tokens(x, r * in, weight.data(), in, n0, n1, bias, y, r * out, out);
            for (; r < rows; r++) VectorMath.f16Rows(x, r * in, weight.data(), in, n0, n1, bias, y, r * out);
        }
    }

    /**
     * Weight rows per call of the F16 kernels. Calls that each return soon let the JIT see their loop over rows end
     * before it compiles them: one call over a whole slice (thousands of lm_head rows) was compiled in its middle with that
     * exit as a trap, which the call's end then hit, running the next decode steps in the slow tiers for two seconds.
     */
    private static final int F16_PIECE = 64;
}
