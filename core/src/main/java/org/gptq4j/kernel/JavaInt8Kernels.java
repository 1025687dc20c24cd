package org.gptq4j.kernel;

/** {@link KernelBackend#JAVA}: the int8-activation products in the Vector API, with the native kernels' bits. */
final class JavaInt8Kernels extends VectorApiKernels {
    static final JavaInt8Kernels INSTANCE = new JavaInt8Kernels();

    private JavaInt8Kernels() {}

    @Override
    public String description() {
        return "Java Vector API int8-activation kernels, " + VectorKernels.vectorBits() + "-bit vectors";
    }

    @Override
    public KernelBackend backend() {
        return KernelBackend.JAVA;
    }

    @Override
    InterleavedParams interleavedParams(PackedGptq w) {
        return InterleavedParams.of(w);
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
        float[] xs = ws.floats(Workspace.JAVA_ACTIVATIONS, VectorKernels.activationFloats(w, rows));
        int[] chunkBlock = w.chunkBlock();
        // (row, chunk) pairs split over the pool: a prefill quantizes hundreds of rows (~16 operations per element)
        pool.parallelFor(rows * chunks, 16L * rows * padded, (i0, i1) -> {
            ActivationQuantizer.quantizeChunks(x, i0, i1, w.in(), gather, w, hi, lo, e, sums);
            for (int i = i0; i < i1; i++) { // chunk i % chunks of row i / chunks, in the form its kernel reads
                int row = i / chunks, k0 = 32 * chunkBlock[i % chunks], k1 = 32 * chunkBlock[i % chunks + 1];
                int at = VectorKernels.activationsAt(w, rows, row);
                if (VectorKernels.splitTokens(w, rows, row)) {
                    VectorKernels.splitPlanes(hi, lo, row * padded, xs, at, padded, k0, k1);
                } else {
                    VectorKernels.foldedPlane(hi, lo, row * padded, xs, at, k0, k1);
                }
            }
        });
        return new GptqLinear.HeapPlanes(xs, e, sums);
    }

    @Override
    void multiply(GptqLinear layer, GptqLinear.Planes x, int rows, float[] y, int n0, int n1) {
        GptqLinear.HeapPlanes p = (GptqLinear.HeapPlanes) x;
        VectorKernels.int8Gemm(layer.packed(), layer.interleavedParams(), p.x(), p.e(), p.sums(), rows, y, layer.bias(), n0, n1);
    }
}
