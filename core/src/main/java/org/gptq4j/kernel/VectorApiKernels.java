package org.gptq4j.kernel;

import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;
import org.gptq4j.kv.PagedKvCache;

import java.util.Locale;

/**
 * The kernels written in the incubating Vector API ({@code jdk.incubator.vector}): {@link JavaInt8Kernels} and
 * {@link FloatKernels}, with their attention ({@link Attention#vector}) and dot ({@link VectorMath#dot}). They are the
 * only kernels that load a class of that module, which a JVM resolves only when started with
 * {@value #FLAG}; {@link Kernels#of} checks for it before choosing them ({@link #requireVectorApi}).
 */
abstract sealed class VectorApiKernels extends Kernels permits JavaInt8Kernels, FloatKernels {
    /** The module of the Vector API. */
    static final String MODULE = "jdk.incubator.vector";
    /** The JVM option that adds it. */
    static final String FLAG = "--add-modules " + MODULE;

    VectorApiKernels() {}

    /**
     * Whether this code can use the Vector API: its module is in this code's module layer (on the class path, the boot
     * layer) and read by this code's module (the class path's unnamed module reads every module; the named
     * {@code org.gptq4j.core} reads it, a {@code requires static}, once it is resolved).
     */
    static boolean vectorApiPresent() {
        Module self = VectorApiKernels.class.getModule();
        ModuleLayer layer = self.getLayer() != null ? self.getLayer() : ModuleLayer.boot();
        return layer.findModule(MODULE).filter(self::canRead).isPresent();
    }

    /**
     * Fails, naming {@value #FLAG}, where the kernels {@code chosen} for {@code asked} (the Java fallback of the native
     * ones included) cannot run because the Vector API is not in this JVM.
     *
     * @throws IllegalStateException where {@link #vectorApiPresent()} is false
     */
    static void requireVectorApi(KernelBackend asked, KernelBackend chosen) {
        if (vectorApiPresent()) return;
        String name = chosen.name().toLowerCase(Locale.ROOT);
        String which = asked == chosen ? "the " + name + " kernels"
                : "the native kernels cannot run here (" + NativeKernels.status() + ") and their fallback, the " + name + " kernels,";
        throw new IllegalStateException(which + " need the Vector API, which this JVM was started without: add the JVM option "
                + FLAG + " (or run where the native kernels load)");
    }

    @Override
    public void attend(PagedKvCache kv, long base, int[] blocks, int hd, int pos, float[] q, int qo, float[] scores,
                       float[] out, int oo) {
        Attention.vector(kv, base, blocks, hd, pos, q, qo, scores, out, oo);
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        return VectorMath.dot(a, ao, b, bo, n);
    }

    /** F16 weights whose values are all finite (one pass over them, at load). */
    @Override
    boolean widensF16InVectors(Tensor weight) {
        return weight.dtype() == DType.F16 && VectorMath.finiteF16(weight.data());
    }
}
