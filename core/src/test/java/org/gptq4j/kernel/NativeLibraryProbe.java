package org.gptq4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Run in a forked JVM by {@link NativeKernelsTest}: loads the native kernels, calls one, prints what it saw (the level
 * its system properties' {@link KernelOptions} pick, and the status too), then
 * halts the JVM as a crash would (no shutdown hooks, so no deleteOnExit).
 */
public final class NativeLibraryProbe {
    private NativeLibraryProbe() {}

    public static void main(String[] args) {
        System.out.println("available=" + NativeKernels.available());
        System.out.println("level=" + Kernels.of(KernelOptions.fromSystemProperties()).level().map(KernelLevel::id).orElse("none"));
        System.out.println("status=" + NativeKernels.status());
        if (NativeKernels.available()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(256, 64);
                seg.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 0x5A5AL);
                System.out.println("read=" + NativeKernels.streamRead(seg, 0, 256));
            }
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
