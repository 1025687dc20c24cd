package org.gptq4j.kv;

import java.util.function.IntConsumer;

/**
 * A fixed pool of KV blocks with exact accounting: every block is either free or held by one or more owners
 * (reference count). A block may also hold <em>reusable content</em> (a cached prefix, see {@link PrefixCache}):
 * such a block stays reusable after its last owner releases it, and is only overwritten when the pool runs out of
 * content-free blocks, least recently released first; the eviction listener is told when that happens.
 * Not thread-safe: the engine's step loop owns it.
 */
public final class BlockPool {
    private final int[] refCount;
    private final boolean[] reusable;
    private final FreeBlockQueue free;
    private int reusableCount;
    private IntConsumer evictionListener = id -> {};

    public BlockPool(int blocks) {
        if (blocks < 1) throw new IllegalArgumentException("a KV pool needs at least one block, got " + blocks);
        refCount = new int[blocks];
        reusable = new boolean[blocks];
        free = new FreeBlockQueue(blocks);
        // Hand out low block ids first.
        for (int i = 0; i < blocks; i++) free.pushBack(i);
    }

    public int capacity() {
        return refCount.length;
    }

    /** Blocks no sequence holds, including those that still keep a cached prefix (they are evictable). */
    public int freeBlocks() {
        return free.size();
    }

    /** Blocks held by at least one sequence. */
    public int usedBlocks() {
        return refCount.length - free.size();
    }

    /** Blocks whose content is registered for reuse, held or free. */
    public int reusableBlocks() {
        return reusableCount;
    }

    /** Called with a block id when a free block's reusable content is about to be overwritten. */
    void onEviction(IntConsumer listener) {
        this.evictionListener = listener;
    }

    /**
     * A free block with reference count 1, or -1 when none is left. Content-free blocks go first; otherwise the
     * least recently released reusable block is evicted (the eviction listener is told) and handed out.
     */
    public int allocate() {
        if (free.size() == 0) return -1;
        int id = free.popFront();
        if (reusable[id]) {
            setReusable(id, false);
            evictionListener.accept(id);
        }
        refCount[id] = 1;
        return id;
    }

    /** One more owner of a held block. */
    public void retain(int id) {
        if (refCount[id] <= 0) throw new IllegalStateException("block " + id + " is free and cannot be retained");
        refCount[id]++;
    }

    /** One more owner of a block with reusable content, taking it back from the free queue if nobody held it. */
    void acquireReusable(int id) {
        if (!reusable[id]) throw new IllegalStateException("block " + id + " holds no reusable content");
        if (refCount[id] == 0) free.remove(id);
        refCount[id]++;
    }

    /** Drops one owner; the block becomes free when none is left. Returns true if it was freed. */
    public boolean release(int id) {
        if (refCount[id] <= 0) throw new IllegalStateException("block " + id + " is already free (double release)");
        if (--refCount[id] == 0) {
            if (reusable[id]) free.pushBack(id); else free.pushFront(id);
            return true;
        }
        return false;
    }

    public int refCount(int id) {
        return refCount[id];
    }

    public boolean isReusable(int id) {
        return reusable[id];
    }

    /** Marks a held block's content as reusable (it must be fully written). */
    void markReusable(int id) {
        if (refCount[id] <= 0) throw new IllegalStateException("block " + id + " is free; only a held block can be cached");
        if (!reusable[id]) setReusable(id, true);
    }

    private void setReusable(int id, boolean value) {
        reusable[id] = value;
        reusableCount += value ? 1 : -1;
    }

    /**
     * Checks that free + held = capacity, that the free queue holds exactly the blocks with count 0, and that
     * content-free blocks precede reusable ones in it (so nothing cached is evicted while a clean block is free).
     */
    public void checkInvariants() {
        int[] queued = free.toArray();
        boolean[] seen = new boolean[refCount.length];
        boolean reusableSeen = false;
        for (int id : queued) {
            if (seen[id]) throw new IllegalStateException("block " + id + " is twice in the free list");
            if (refCount[id] != 0) throw new IllegalStateException("free block " + id + " has reference count " + refCount[id]);
            if (reusable[id]) reusableSeen = true;
            else if (reusableSeen) throw new IllegalStateException("content-free block " + id + " queued behind a cached block");
            seen[id] = true;
        }
        int reusableTotal = 0;
        for (int id = 0; id < refCount.length; id++) {
            if (!seen[id] && refCount[id] <= 0) throw new IllegalStateException("block " + id + " is neither free nor held");
            if (seen[id] != free.contains(id)) throw new IllegalStateException("block " + id + " queue membership is inconsistent");
            if (reusable[id]) reusableTotal++;
        }
        if (reusableTotal != reusableCount) {
            throw new IllegalStateException("reusable count " + reusableCount + " but " + reusableTotal + " blocks are reusable");
        }
    }
}
