package org.gptq4j.kernel;

/** {@link KernelBackend#FLOAT}: float32 activations in the Vector API, the exact path. */
final class FloatKernels extends VectorApiKernels {
    static final FloatKernels INSTANCE = new FloatKernels();

    private FloatKernels() {}

    @Override
    public String description() {
        return "Java Vector API float kernels, " + VectorMath.vectorBits() + "-bit vectors";
    }

    @Override
    public KernelBackend backend() {
        return KernelBackend.FLOAT;
    }

    @Override
    void gptq(GptqLinear layer, float[] x, float[] y, int rows, ComputePool pool) {
        layer.applyFloat(x, y, rows, pool);
    }

    @Override
    GptqLinear.Planes quantize(GptqLinear layer, float[] x, int rows, ComputePool pool) {
        throw new UnsupportedOperationException("the float kernels do not quantize activations");
    }

    @Override
    void multiply(GptqLinear layer, GptqLinear.Planes x, int rows, float[] y, int n0, int n1) {
        throw new UnsupportedOperationException("the float kernels do not quantize activations");
    }
}
