package org.gptq4j.kernel;

import java.util.Locale;

/**
 * Which kernels run the linear layers.
 * <ul>
 *   <li>{@link #NATIVE}: C SIMD kernels (AVX2/FMA, AVX-VNNI, AVX-512 VNNI, AMX-INT8 where present) through FFM
 *       downcalls, on activations quantized to two int8 planes ({@link ActivationQuantizer}); F16 dense layers in C
 *       with F16C.</li>
 *   <li>{@link #JAVA}: the same int8-activation math in the Vector API, always available, with the same bits.</li>
 *   <li>{@link #FLOAT}: float32 activations in the Vector API: the exact path (fixtures' float32 tolerance).</li>
 * </ul>
 * The int8 backends meet the fixtures' quantized-activation tolerance, not the float32 one.
 * {@code -Dgptq4j.kernel=native|java|float} forces a backend; by default {@link #NATIVE} when its library loads on
 * this CPU, else {@link #JAVA} (said once at startup).
 */
public enum KernelBackend {
    NATIVE, JAVA, FLOAT;

    /** Whether activations are quantized to int8 (the quantized-activation tolerance applies). */
    public boolean int8Activations() {
        return this != FLOAT;
    }

    /** This backend if it can run here, else the Java int8 fallback. */
    public KernelBackend orFallback() {
        return this == NATIVE && !NativeKernels.available() ? JAVA : this;
    }

    private static volatile KernelBackend selected;

    /** The backend chosen by {@code -Dgptq4j.kernel} or, by default, the fastest one available; logged once. */
    public static KernelBackend selected() {
        KernelBackend b = selected;
        if (b == null) {
            synchronized (KernelBackend.class) {
                if (selected == null) selected = choose();
                b = selected;
            }
        }
        return b;
    }

    private static KernelBackend choose() {
        String forced = System.getProperty("gptq4j.kernel");
        KernelBackend b;
        if (forced != null && !forced.isBlank() && !forced.equalsIgnoreCase("auto")) {
            try {
                b = valueOf(forced.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-Dgptq4j.kernel=" + forced + " is not one of native, java, float, auto");
            }
            if (b == NATIVE && !NativeKernels.available()) {
                throw new IllegalStateException("-Dgptq4j.kernel=native, but the native kernels cannot run here: " + NativeKernels.status());
            }
        } else {
            b = NativeKernels.available() ? NATIVE : JAVA;
        }
        System.err.println("gptq4j: kernels " + b.name().toLowerCase(Locale.ROOT) + " (" + NativeKernels.status() + ")");
        return b;
    }
}
