package org.gptq4j.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The C {@code struct gptq4j_kv_cache} (gptq4j.h): a {@link PagedKvCache}'s keys, values and {@link KvLayout} as the
 * native attention kernel reads them, written once per cache into the cache's own arena, so that passing it to a
 * downcall keeps the keys and values alive for the call and a closed cache fails the call instead of letting C read
 * freed memory. Its field offsets are checked against the C ones when the native library loads
 * ({@code NativeKernels}).
 */
public final class KvDescriptor {
    private KvDescriptor() {}

    /** Field by field as in gptq4j.h. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("keys"),
            ADDRESS.withName("values"),
            JAVA_INT.withName("block_size"),
            JAVA_INT.withName("stride"),
            JAVA_INT.withName("precision"),
            JAVA_INT.withName("reserved")).withName("gptq4j_kv_cache");

    private static final VarHandle KEYS = handle("keys"), VALUES = handle("values"), BLOCK_SIZE = handle("block_size"),
            STRIDE = handle("stride"), PRECISION = handle("precision");

    private static VarHandle handle(String field) {
        return LAYOUT.varHandle(groupElement(field));
    }

    /** The descriptor of {@code keys} and {@code values} laid out as {@code layout}, in {@code arena} (theirs). */
    static MemorySegment describe(Arena arena, KvLayout layout, MemorySegment keys, MemorySegment values) {
        MemorySegment d = arena.allocate(LAYOUT);
        KEYS.set(d, 0L, keys);
        VALUES.set(d, 0L, values);
        BLOCK_SIZE.set(d, 0L, layout.blockSize());
        STRIDE.set(d, 0L, layout.stride());
        PRECISION.set(d, 0L, layout.precision().code());
        return d;
    }
}
