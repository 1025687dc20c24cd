package org.gptq4j.kv;

/**
 * A fixed pool of KV blocks with exact accounting: every block is either free or held by one or more owners
 * (reference count). Not thread-safe: the engine's step loop owns it.
 */
public final class BlockPool {
    private final int[] refCount;
    private final int[] freeStack;
    private int freeCount;

    public BlockPool(int blocks) {
        if (blocks < 1) throw new IllegalArgumentException("a KV pool needs at least one block, got " + blocks);
        refCount = new int[blocks];
        freeStack = new int[blocks];
        // Hand out low block ids first (stack top = 0).
        for (int i = 0; i < blocks; i++) freeStack[i] = blocks - 1 - i;
        freeCount = blocks;
    }

    public int capacity() {
        return refCount.length;
    }

    public int freeBlocks() {
        return freeCount;
    }

    public int usedBlocks() {
        return refCount.length - freeCount;
    }

    /** A free block with reference count 1, or -1 when none is left. */
    public int allocate() {
        if (freeCount == 0) return -1;
        int id = freeStack[--freeCount];
        refCount[id] = 1;
        return id;
    }

    /** One more owner of a held block (prefix sharing). */
    public void retain(int id) {
        if (refCount[id] <= 0) throw new IllegalStateException("block " + id + " is free and cannot be retained");
        refCount[id]++;
    }

    /** Drops one owner; the block returns to the pool when none is left. Returns true if it was freed. */
    public boolean release(int id) {
        if (refCount[id] <= 0) throw new IllegalStateException("block " + id + " is already free (double release)");
        if (--refCount[id] == 0) {
            freeStack[freeCount++] = id;
            return true;
        }
        return false;
    }

    public int refCount(int id) {
        return refCount[id];
    }

    /** Checks that free + held = capacity and that the free list holds exactly the blocks with count 0. */
    public void checkInvariants() {
        boolean[] seen = new boolean[refCount.length];
        for (int i = 0; i < freeCount; i++) {
            int id = freeStack[i];
            if (seen[id]) throw new IllegalStateException("block " + id + " is twice in the free list");
            if (refCount[id] != 0) throw new IllegalStateException("free block " + id + " has reference count " + refCount[id]);
            seen[id] = true;
        }
        for (int id = 0; id < refCount.length; id++) {
            if (!seen[id] && refCount[id] <= 0) throw new IllegalStateException("block " + id + " is neither free nor held");
        }
    }
}
