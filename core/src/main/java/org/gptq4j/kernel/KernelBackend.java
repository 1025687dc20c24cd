package org.gptq4j.kernel;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which kernels run the linear layers and attention (an engine's {@link KernelOptions#backend()}; {@link Kernels#of}
 * makes the implementation).
 * <ul>
 *   <li>{@link #NATIVE}: C SIMD kernels (AVX2/FMA, AVX-VNNI, AVX-512 VNNI, AMX-INT8 where present) through FFM
 *       downcalls, on activations quantized to two int8 planes ({@link ActivationQuantizer}); F16 dense layers in C
 *       with F16C.</li>
 *   <li>{@link #JAVA}: the same int8-activation math in the Vector API, always available, with the same bits.</li>
 *   <li>{@link #FLOAT}: float32 activations in the Vector API: the exact path (fixtures' float32 tolerance).</li>
 * </ul>
 * The int8 backends meet the fixtures' quantized-activation tolerance, not the float32 one.
 */
public enum KernelBackend {
    NATIVE, JAVA, FLOAT;

    private static final AtomicBoolean SAID = new AtomicBoolean();

    /** Whether activations are quantized to int8 (the quantized-activation tolerance applies). */
    public boolean int8Activations() {
        return this != FLOAT;
    }

    /** This backend if it can run here, else the Java int8 fallback. */
    public KernelBackend orFallback() {
        return this == NATIVE && !NativeKernels.available() ? JAVA : this;
    }

    /** {@link #NATIVE} when its library loads on this CPU, else {@link #JAVA}; said once per process. */
    static KernelBackend fastestAvailable() {
        KernelBackend b = NativeKernels.available() ? NATIVE : JAVA;
        if (SAID.compareAndSet(false, true)) {
            System.err.println("gptq4j: kernels " + b.name().toLowerCase(Locale.ROOT) + " (" + NativeKernels.status() + ")");
        }
        return b;
    }
}
