package org.gptq4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Activations quantized by the native kernels, in native memory: the C {@code struct gptq4j_activations} (gptq4j.h)
 * followed by the two int8 planes, the scales and the sums it points to, all in one buffer of the compute pool's
 * {@link Workspace}.
 *
 * <p>Why native memory: a C struct cannot hold pointers to Java heap arrays (the collector moves them; only a
 * critical downcall's direct arguments may point into the heap). Keeping the planes off-heap lets one descriptor,
 * written once per quantization, stand for all four arrays in every product call of every thread. The hot path stays
 * allocation-free: the buffer grows to the largest batch seen and is then reused, and each quantization only rewrites
 * the descriptor's five fields. The buffer comes from an automatic arena, so a grown-out buffer is freed once
 * unreachable; a downcall holds its descriptor (and so the buffer) reachable until it returns. Like the workspace's
 * heap arrays, the planes are valid until the next quantization through the same workspace.
 */
final class NativePlanes implements GptqLinear.Planes {
    /** Field by field as in gptq4j.h (checked against the C offsets at load: {@link NativeKernels}). */
    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("hi"),
            ADDRESS.withName("lo"),
            ADDRESS.withName("e"),
            ADDRESS.withName("sums"),
            JAVA_INT.withName("rows"),
            JAVA_INT.withName("reserved")).withName("gptq4j_activations");

    private static final VarHandle HI = handle("hi"), LO = handle("lo"), E = handle("e"), SUMS = handle("sums"),
            ROWS = handle("rows");
    private static final long ALIGN = 64; // each array on its own cache lines
    private static final long HI_AT = align(LAYOUT.byteSize()); // the arrays follow the descriptor

    private static VarHandle handle(String field) {
        return LAYOUT.varHandle(groupElement(field));
    }

    private MemorySegment buffer = MemorySegment.NULL, descriptor;
    private long loAt, eAt, sumsAt, planeBytes, chunkBytes; // where the arrays of the current layout start

    /**
     * Lays out {@code rows} tokens' activations for {@code w} ({@code [rows][nb*32]} planes, {@code [rows][chunks]}
     * scales and sums; contents undefined until quantized) and writes their descriptor. Returns this.
     */
    NativePlanes layOut(int rows, PackedGptq w) {
        planeBytes = (long) rows * w.nb() * 32;
        chunkBytes = 4L * rows * w.chunks();
        loAt = HI_AT + align(planeBytes);
        eAt = loAt + align(planeBytes);
        sumsAt = eAt + align(chunkBytes);
        long size = sumsAt + chunkBytes;
        if (buffer.byteSize() < size) {
            buffer = Arena.ofAuto().allocate(size, ALIGN);
            descriptor = buffer.asSlice(0, LAYOUT);
        }
        HI.set(descriptor, 0L, buffer.asSlice(HI_AT));
        LO.set(descriptor, 0L, buffer.asSlice(loAt));
        E.set(descriptor, 0L, buffer.asSlice(eAt));
        SUMS.set(descriptor, 0L, buffer.asSlice(sumsAt));
        ROWS.set(descriptor, 0L, rows);
        return this;
    }

    /** The {@code struct gptq4j_activations} of the current layout. */
    MemorySegment descriptor() {
        return descriptor;
    }

    /** The coarse plane, {@code [rows][nb*32]} int8 in slot order. */
    MemorySegment hi() {
        return buffer.asSlice(HI_AT, planeBytes);
    }

    /** The residual plane, laid out as {@link #hi()}. */
    MemorySegment lo() {
        return buffer.asSlice(loAt, planeBytes);
    }

    /** The scale of each chunk, {@code [rows][chunks]} floats. */
    MemorySegment e() {
        return buffer.asSlice(eAt, chunkBytes);
    }

    /** The sum S of each chunk, {@code [rows][chunks]} ints. */
    MemorySegment sums() {
        return buffer.asSlice(sumsAt, chunkBytes);
    }

    private static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }
}
