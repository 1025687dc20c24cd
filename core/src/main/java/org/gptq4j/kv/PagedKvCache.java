package org.gptq4j.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

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

    /** The {@code struct gptq4j_kv_cache} of this cache, for the native attention kernel ({@link KvDescriptor}). */
    public MemorySegment descriptor() {
        return descriptor;
    }

    @Override
    public void close() {
        arena.close();
    }
}
