package org.gptq4j.tools;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.NativeKernels;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Measures the memory read bandwidth the compute pool reaches: every thread streams its own slice of an off-heap
 * buffer much larger than the caches (native AVX2 loads where available, else the Vector API), best of a few passes.
 * This is the roofline of decode, which must read every weight once per token.
 */
public final class MemoryBandwidth {
    private static final VectorSpecies<Long> L = LongVector.SPECIES_256;

    private MemoryBandwidth() {}

    /** Bytes per second, best of {@code passes} full reads of a {@code bytes}-byte buffer (rounded down to 4 KiB). */
    public static double measure(ComputePool pool, long bytes, int passes) {
        long size = bytes & ~4095L;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(size, 4096);
            buf.fill((byte) 1); // touch every page before timing
            int chunks = pool.threads() * 64;
            long chunk = size / chunks & ~127L;
            long[] sink = new long[chunks];
            double best = 0;
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                pool.parallelFor(chunks, (c0, c1) -> {
                    for (int c = c0; c < c1; c++) sink[c] = read(buf, c * chunk, chunk);
                });
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, chunk * chunks / seconds);
            }
            long x = 0;
            for (long v : sink) x ^= v;
            if (x == 42) System.err.print(""); // keep the reads alive
            return best;
        }
    }

    private static long read(MemorySegment seg, long offset, long bytes) {
        if (NativeKernels.available()) return NativeKernels.streamRead(seg, offset, bytes);
        LongVector acc = LongVector.zero(L);
        for (long i = 0; i + 32 <= bytes; i += 32) {
            acc = acc.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(L, seg, offset + i, ByteOrder.LITTLE_ENDIAN));
        }
        return acc.reduceLanes(VectorOperators.XOR);
    }
}
