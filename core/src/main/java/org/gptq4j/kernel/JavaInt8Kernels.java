package org.gptq4j.kernel;

/** {@link KernelBackend#JAVA}: the int8-activation products in the Vector API, with the native kernels' bits. */
final class JavaInt8Kernels extends VectorApiKernels {
    static final JavaInt8Kernels INSTANCE = new JavaInt8Kernels();

    private JavaInt8Kernels() {}

    @Override
    public KernelBackend backend() {
        return KernelBackend.JAVA;
    }

    @Override
    GptqLinear.Planes quantize(GptqLinear layer, float[] x, int rows, ComputePool pool) {
        Workspace ws = pool.workspace();
        PackedGptq w = layer.packed();
        int padded = w.nb() * 32, chunks = w.chunks();
        byte[] hi = ws.bytes(Workspace.HI, rows * padded), lo = ws.bytes(Workspace.LO, rows * padded);
        float[] e = ws.floats(Workspace.XE, rows * chunks);
        int[] sums = ws.ints(Workspace.SUMS, rows * chunks);
        int[] gather = layer.gather();
        // (row, chunk) pairs split over the pool: a prefill quantizes hundreds of rows (~16 operations per element)
        pool.parallelFor(rows * chunks, 16L * rows * padded, (i0, i1) -> ActivationQuantizer.quantizeChunks(x, i0, i1, w.in(), gather, w, hi, lo, e, sums));
        return new GptqLinear.HeapPlanes(hi, lo, e, sums);
    }

    @Override
    void multiply(GptqLinear layer, GptqLinear.Planes x, int rows, float[] y, int n0, int n1) {
        GptqLinear.HeapPlanes p = (GptqLinear.HeapPlanes) x;
        VectorKernels.int8Gemm(layer.packed(), p.hi(), p.lo(), p.e(), p.sums(), rows, y, layer.bias(), n0, n1);
    }
}
