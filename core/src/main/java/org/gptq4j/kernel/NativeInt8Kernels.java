package org.gptq4j.kernel;

import org.gptq4j.io.DType;
import org.gptq4j.kv.KvPrecision;
import org.gptq4j.kv.PagedKvCache;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * {@link KernelBackend#NATIVE}: the C kernels ({@link NativeKernels}) at one instruction-set level, which this instance
 * carries (so engines in one JVM may run different levels); every level gives the same bits. What has no C kernel (the
 * norms' dot, BF16/F32 dense layers) runs in plain Java: these kernels load no class of the Vector API.
 */
final class NativeInt8Kernels extends Kernels {
    private static final NativeInt8Kernels[] BY_LEVEL = new NativeInt8Kernels[KernelLevel.values().length];

    static {
        for (KernelLevel l : NativeKernels.levels()) BY_LEVEL[l.ordinal()] = new NativeInt8Kernels(l);
    }

    private final KernelLevel level;

    private NativeInt8Kernels(KernelLevel level) {
        this.level = level;
    }

    /** The kernels at the highest level this CPU runs at or below {@code cap} (AVX2 where none is). */
    static NativeInt8Kernels atMost(KernelLevel cap) {
        if (!NativeKernels.available()) throw new IllegalStateException("the native kernels cannot run here: " + NativeKernels.status());
        KernelLevel chosen = null;
        for (KernelLevel l : NativeKernels.levels()) if (l.compareTo(cap) <= 0 || chosen == null) chosen = l;
        return BY_LEVEL[chosen.ordinal()];
    }

    @Override
    public KernelBackend backend() {
        return KernelBackend.NATIVE;
    }

    @Override
    public Optional<KernelLevel> level() {
        return Optional.of(level);
    }

    @Override
    public String description() {
        return NativeKernels.describe(level);
    }

    @Override
    boolean nativeCode() {
        return true;
    }

    @Override
    public KvPrecision kvPrecision() {
        return KvPrecision.F16;
    }

    @Override
    public void attend(PagedKvCache kv, long base, int[] blocks, int hd, int pos, float[] q, int qo, float[] scores,
                       float[] out, int oo) {
        NativeKernels.attend(kv.descriptor(), base, blocks, hd, pos, Attention.scale(hd), q, qo, scores, out, oo);
    }

    /** Plain Java: eight chains of fmas summed in order, then the tail ({@link VectorMath#dot}'s arithmetic on 8-lane vectors). */
    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (int upper = n & ~7; i < upper; i += 8) {
            s0 = Math.fma(a[ao + i], b[bo + i], s0);
            s1 = Math.fma(a[ao + i + 1], b[bo + i + 1], s1);
            s2 = Math.fma(a[ao + i + 2], b[bo + i + 2], s2);
            s3 = Math.fma(a[ao + i + 3], b[bo + i + 3], s3);
            s4 = Math.fma(a[ao + i + 4], b[bo + i + 4], s4);
            s5 = Math.fma(a[ao + i + 5], b[bo + i + 5], s5);
            s6 = Math.fma(a[ao + i + 6], b[bo + i + 6], s6);
            s7 = Math.fma(a[ao + i + 7], b[bo + i + 7], s7);
        }
        float sum = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
        for (; i < n; i++) sum += a[ao + i] * b[bo + i];
        return sum;
    }

    @Override
    void dense(DenseLinear layer, float[] x, float[] y, int rows, ComputePool pool) {
        if (layer.weight().dtype() != DType.F16) {
            layer.applyJava(x, y, rows, pool);
            return;
        }
        int in = layer.inFeatures(), out = layer.outFeatures();
        MemorySegment weight = layer.weight().data();
        MemorySegment b = layer.bias() == null ? MemorySegment.NULL : MemorySegment.ofArray(layer.bias());
        pool.parallelFor(out, (long) rows * in * out, (n0, n1) -> NativeKernels.f16gemm(level, weight, in, x, rows, y, out, b, n0, n1));
    }

    @Override
    GptqLinear.Planes quantize(GptqLinear layer, float[] x, int rows, ComputePool pool) {
        PackedGptq w = layer.packed();
        int padded = w.nb() * 32, chunks = w.chunks();
        int[] gather = layer.gather();
        NativePlanes planes = pool.workspace().nativePlanes().layOut(rows, w);
        // (row, chunk) pairs split over the pool: a prefill quantizes hundreds of rows; a decode step's one row costs
        // the native code about a microsecond, less than waking the pool
        pool.parallelFor(rows * chunks, 2L * rows * padded, (i0, i1) -> NativeKernels.quantize(x, i0, i1, w.in(), gather, w, planes));
        return planes;
    }

    @Override
    void multiply(GptqLinear layer, GptqLinear.Planes x, int rows, float[] y, int n0, int n1) {
        NativeKernels.qgemm(level, layer.packed(), (NativePlanes) x, y, layer.outFeatures(), layer.nativeBias(), n0, n1);
    }
}
