package org.gptq4j.kernel;

import org.gptq4j.io.Tensor;
import org.gptq4j.kv.KvPrecision;
import org.gptq4j.kv.PagedKvCache;

import java.util.Optional;

/**
 * The kernels one engine runs, chosen once from its {@link KernelOptions} ({@link #of}) and handed to every layer and
 * to attention, which ask it to run their products instead of testing a backend themselves:
 * {@link NativeInt8Kernels} (C, at one native level), {@link JavaInt8Kernels} (the same int8-activation math in the
 * Vector API, the same bits) and {@link FloatKernels} (float32 activations). Immutable and stateless apart from the
 * level, so one instance serves every thread; two engines with different options hold different instances.
 *
 * <p>Only the {@link VectorApiKernels} (Java and float) use the incubating Vector API: the native kernels never load a
 * class of {@code jdk.incubator.vector}, so an application on them runs on a plain {@code java} command line, and
 * choosing Vector API kernels where that module is not in the JVM fails here, at once, naming the flag.
 */
public abstract sealed class Kernels permits NativeInt8Kernels, VectorApiKernels {
    Kernels() {}

    /** The kernels {@code options} ask for, the Java int8 ones where the native library cannot run. */
    public static Kernels of(KernelOptions options) {
        return of(options.backend(), options.nativeLevel());
    }

    /** The kernels of {@code backend}, native ones at the highest level this CPU runs (or the Java fallback). */
    public static Kernels of(KernelBackend backend) {
        return of(backend, KernelLevel.highest());
    }

    /**
     * The kernels of {@code backend}, native ones at the highest level this CPU runs at or below {@code levelCap}.
     *
     * @throws IllegalStateException where the kernels chosen (the Java fallback included) need the Vector API and the
     *                               JVM was started without {@code --add-modules jdk.incubator.vector}
     */
    public static Kernels of(KernelBackend backend, KernelLevel levelCap) {
        KernelBackend chosen = backend.orFallback();
        if (chosen != KernelBackend.NATIVE) VectorApiKernels.requireVectorApi(backend, chosen);
        return switch (chosen) {
            case NATIVE -> NativeInt8Kernels.atMost(levelCap);
            case JAVA -> JavaInt8Kernels.INSTANCE;
            case FLOAT -> FloatKernels.INSTANCE;
        };
    }

    /** The backend these kernels implement. */
    public abstract KernelBackend backend();

    /** The native level they run at, empty for the Java kernels. */
    public Optional<KernelLevel> level() {
        return Optional.empty();
    }

    /**
     * The precision of the KV cache these kernels' attention reads by default: float32 here; F16 for the native ones,
     * whose attention widens F16 in vector registers (the Java ones would convert element by element). Within the
     * fixtures' quantized-activation tolerance (LlamaGoldenTest); the float kernels keep float32, whose tolerance F16
     * rounding would exceed.
     */
    public KvPrecision kvPrecision() {
        return KvPrecision.F32;
    }

    /** Whether activations are quantized to int8 (the quantized-activation tolerance applies). */
    public boolean int8Activations() {
        return backend().int8Activations();
    }

    /**
     * Whether these are C kernels, which read only memory the engine owns (never a mapped file, which another process
     * could shrink under them) and repack GPTQ layers in C.
     */
    boolean nativeCode() {
        return false;
    }

    /**
     * Causal attention of one head of one token over its sequence in a paged KV cache ({@link Attention}).
     *
     * @param kv     the cache: its memory and layout
     * @param base   element index of the layer's first vector plus the head's offset
     * @param blocks the sequence's KV block ids in position order (at least {@code pos / blockSize + 1})
     * @param hd     the head dimension
     * @param q      queries; this head's {@code hd} floats start at {@code qo}
     * @param scores scratch of at least {@code pos + 1} floats
     * @param out    receives the head's {@code hd} floats at {@code oo}
     */
    public abstract void attend(PagedKvCache kv, long base, int[] blocks, int hd, int pos, float[] q, int qo, float[] scores,
                                float[] out, int oo);

    /** {@code sum_i a[ao+i] * b[bo+i]} for {@code i} in {@code [0, n)}: the float dot of the norms and Java dense products. */
    public abstract float dot(float[] a, int ao, float[] b, int bo, int n);

    /**
     * Whether {@link DenseLinear}'s Java product reads {@code weight}'s F16 values straight into vectors
     * ({@link VectorMath#f16Rows}, {@link VectorMath#f16Tokens}) instead of widening each row into a float copy first: the Vector API kernels, where
     * every value is finite (their widening gives infinities and NaNs no exact form; a layer holding one keeps the copy).
     */
    boolean widensF16InVectors(Tensor weight) {
        return false;
    }

    /** {@link DenseLinear#apply} of {@code layer}: in Java, over {@link #dot}. */
    void dense(DenseLinear layer, float[] x, float[] y, int rows, ComputePool pool) {
        layer.applyJava(x, y, rows, pool);
    }

    /** {@link GptqLinear#apply} of {@code layer}: quantize the activations, then multiply (the int8 kernels). */
    void gptq(GptqLinear layer, float[] x, float[] y, int rows, ComputePool pool) {
        GptqLinear.Planes planes = quantize(layer, x, rows, pool);
        long work = (long) rows * layer.packed().nb() * 32 * layer.outFeatures();
        pool.parallelFor(layer.outFeatures(), work, (n0, n1) -> multiply(layer, planes, rows, y, n0, n1));
    }

    /**
     * The layer's scales and zeros in a layout of these kernels' own, made once at load, or null where they read
     * {@link PackedGptq}'s (every kernel but the Java int8 ones).
     */
    InterleavedParams interleavedParams(PackedGptq w) {
        return null;
    }

    /** {@code x} ({@code [rows][in]}) quantized for {@code layer} into planes of the pool's workspace (valid until its next use). */
    abstract GptqLinear.Planes quantize(GptqLinear layer, float[] x, int rows, ComputePool pool);

    /** Outputs {@code [n0, n1)} of every row of {@code y} ({@code [rows][out]}) from activations quantized by {@link #quantize}. */
    abstract void multiply(GptqLinear layer, GptqLinear.Planes x, int rows, float[] y, int n0, int n1);

    /**
     * What runs, in words, for logs and benchmarks: the native level and library (not the CPU's best level when a
     * lower one was asked for), or the width of the Java kernels' vectors.
     */
    public String description() {
        return toString();
    }

    @Override
    public String toString() {
        return backend().name().toLowerCase(java.util.Locale.ROOT) + level().map(l -> " " + l.id()).orElse("");
    }
}
