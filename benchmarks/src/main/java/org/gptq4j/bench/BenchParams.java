package org.gptq4j.bench;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.kernel.NativeKernels;

import java.util.Locale;

/** The benchmarks' shared parameter parsing. */
final class BenchParams {
    private BenchParams() {}

    /** {@code "4096x11008"} as {@code {in, out}}. */
    static int[] inOut(String shape) {
        String[] parts = shape.toLowerCase(Locale.ROOT).split("x");
        if (parts.length != 2) throw new IllegalArgumentException("shape " + shape + " is not INxOUT, e.g. 4096x11008");
        return new int[]{Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
    }

    /**
     * The backend named by {@code name} ({@code native}, {@code java} or {@code float}). The native one fails the
     * benchmark (JMH reports the message and goes on with the other parameters) where it cannot run, instead of
     * silently measuring the Java fallback under its name.
     */
    static KernelBackend backend(String name) {
        KernelBackend backend = KernelBackend.valueOf(name.trim().toUpperCase(Locale.ROOT));
        if (backend == KernelBackend.NATIVE && !NativeKernels.available()) {
            throw new IllegalStateException("backend=native skipped, the native kernels cannot run here: " + NativeKernels.status());
        }
        return backend;
    }

    /** {@code threads}, or when 0 one per physical core ({@link ComputePool#defaultThreads()}) or {@code -Dgptq4j.threads}. */
    static int threads(int threads) {
        return threads > 0 ? threads : KernelOptions.fromSystemProperties().threads();
    }
}
