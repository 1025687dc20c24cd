package org.gptq4j.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The paged KV cache's memory: the K and V vectors of every layer, off-heap, where {@link #layout()} says
 * ({@link KvLayout}: {@code [layer][block][slot][stride]} for keys, the same for values). The model writes and
 * attention reads it; which blocks a sequence holds is the {@link KvCacheManager}'s business, never this class's.
 */
public final class PagedKvCache implements AutoCloseable {
    private final KvLayout layout;
    private final Arena arena;
    private final MemorySegment keys, values, descriptor;

    public PagedKvCache(KvLayout layout) {
        this.layout = layout;
        this.arena = Arena.ofShared();
        try {
            long bytes = layout.elements() * layout.precision().bytes();
            this.keys = arena.allocate(bytes, 64);
            this.values = arena.allocate(bytes, 64);
            this.descriptor = KvDescriptor.describe(arena, layout, keys, values);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public KvLayout layout() {
        return layout;
    }

    public MemorySegment keys() {
        return keys;
    }

    public MemorySegment values() {
        return values;
    }

    /**
     * Stores one position's key and value vectors, {@code n} floats each from {@code k[ko]} and {@code v[vo]}, at
     * element {@code at} (a {@link KvLayout#offset}), rounded to the layout's precision.
     */
    public void write(long at, float[] k, int ko, float[] v, int vo, int n) {
        switch (layout.precision()) {
            case F32 -> {
                MemorySegment.copy(k, ko, keys, ValueLayout.JAVA_FLOAT, at * Float.BYTES, n);
                MemorySegment.copy(v, vo, values, ValueLayout.JAVA_FLOAT, at * Float.BYTES, n);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    keys.setAtIndex(ValueLayout.JAVA_SHORT, at + i, Float.floatToFloat16(k[ko + i]));
                    values.setAtIndex(ValueLayout.JAVA_SHORT, at + i, Float.floatToFloat16(v[vo + i]));
                }
            }
        }
    }

    /** Key element {@code i} (an element index of the layout) as a float. */
    public float key(long i) {
        return element(keys, i);
    }

    /** Value element {@code i} as a float. */
    public float value(long i) {
        return element(values, i);
    }

    private float element(MemorySegment m, long i) {
        return switch (layout.precision()) {
            case F32 -> m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case F16 -> Float.float16ToFloat(m.getAtIndex(ValueLayout.JAVA_SHORT, i));
        };
    }

    /** The {@code struct gptq4j_kv_cache} of this cache, for the native attention kernel ({@link KvDescriptor}). */
    public MemorySegment descriptor() {
        return descriptor;
    }

    @Override
    public void close() {
        arena.close();
    }
}
