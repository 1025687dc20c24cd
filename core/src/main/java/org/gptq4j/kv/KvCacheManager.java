package org.gptq4j.kv;

/**
 * The scheduler's one door to the KV cache, after vLLM's {@code KVCacheManager}: which blocks each sequence holds
 * (its {@link BlockTable}), the block pool, the prefix cache and the admission headroom. It never touches the cache's
 * memory ({@link PagedKvCache}); the model writes there through the tables this manager fills.
 * <ul>
 *   <li>{@link #getComputedBlocks}: a new sequence starts with the cached blocks of its longest cached prefix;</li>
 *   <li>{@link #allocateSlots} / {@link #allocateSlotsToAdmit}: grow a table for the tokens of a step, or say it
 *       does not fit (the scheduler then preempts, or stops admitting);</li>
 *   <li>{@link #cacheComputedBlocks}: registers a table's newly full, computed blocks for reuse;</li>
 *   <li>{@link #free}: returns a table's blocks (end, failure, preemption).</li>
 * </ul>
 * With prefix caching on, full blocks are registered in a {@link PrefixCache} once written and reused by sequences
 * that start with the same tokens; only full blocks are shared and shared blocks are never written again (a sequence
 * writes only positions past its reused prefix), so no copy-on-write is needed. Not thread-safe: the engine's step
 * loop owns it.
 */
public final class KvCacheManager {
    private final int blockSize;
    private final BlockPool pool;
    private final PrefixCache prefixCache; // null when prefix caching is off

    public KvCacheManager(int blockSize, int blocks, boolean prefixCaching) {
        if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        this.blockSize = blockSize;
        this.pool = new BlockPool(blocks);
        this.prefixCache = prefixCaching ? new PrefixCache(pool) : null;
    }

    /** A manager of the blocks of a cache laid out as {@code layout}. */
    public KvCacheManager(KvLayout layout, boolean prefixCaching) {
        this(layout.blockSize(), layout.blocks(), prefixCaching);
    }

    public int blockSize() {
        return blockSize;
    }

    /** Blocks in the cache. */
    public int capacity() {
        return pool.capacity();
    }

    /** Blocks no sequence holds (cached prefixes included: they are evictable). */
    public int freeBlocks() {
        return pool.freeBlocks();
    }

    /** Blocks held by at least one sequence. */
    public int usedBlocks() {
        return pool.usedBlocks();
    }

    /** Sequences holding block {@code id}. */
    public int refCount(int id) {
        return pool.refCount(id);
    }

    /** The prefix cache (for its counters), or null when prefix caching is off. */
    public PrefixCache prefixCache() {
        return prefixCache;
    }

    /** Blocks needed to hold {@code tokens} positions. */
    public int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }

    /**
     * Fills an empty table with the cached blocks that hold the longest prefix of {@code tokens[0, maxTokens)} and
     * returns the number of positions reused (a multiple of the block size; 0 when prefix caching is off). The reused
     * blocks gain one reference each; {@link #free} gives them back if the sequence is not admitted after all.
     */
    public int getComputedBlocks(BlockTable table, int[] tokens, int maxTokens) {
        if (table.blockCount() != 0) throw new IllegalStateException("a cached prefix can only start an empty table: " + table);
        if (prefixCache == null) return 0;
        int[] blocks = prefixCache.acquireLongestPrefix(table.hashes(blockSize, tokens, maxTokens), maxTokens / blockSize);
        for (int b : blocks) table.add(b);
        table.setCachedBlocks(blocks.length);
        table.setLength(blocks.length * blockSize);
        return blocks.length * blockSize;
    }

    /** Counts one prompt lookup for the hit rate: {@code queried} prompt tokens, {@code hit} of them reused. */
    public void recordPrefixLookup(int queried, int hit) {
        if (prefixCache != null) prefixCache.recordLookup(queried, hit);
    }

    /**
     * Grows {@code table} to hold {@code length} positions if the pool has the blocks; false, leaving the table as it
     * was, if not (the scheduler then preempts a sequence and tries again).
     */
    public boolean allocateSlots(BlockTable table, int length) {
        return allocate(table, length, 0);
    }

    /**
     * As {@link #allocateSlots} for a sequence being admitted beside {@code runningSequences} others, keeping one free
     * block per running sequence as headroom, so that admitting it does not force a preemption at the next step.
     */
    public boolean allocateSlotsToAdmit(BlockTable table, int length, int runningSequences) {
        return allocate(table, length, runningSequences);
    }

    private boolean allocate(BlockTable table, int length, int headroom) {
        int needed = blocksFor(length) - table.blockCount();
        if (needed + headroom > pool.freeBlocks()) return false;
        for (int i = 0; i < needed; i++) table.add(pool.allocate());
        if (length > table.length()) table.setLength(length);
        return true;
    }

    /**
     * As {@link #allocateSlots}, for a caller that runs one sequence outside a scheduler: throws
     * {@link KvCacheExhaustedException} (leaving the table as it was) when the pool cannot supply the blocks.
     */
    public void reserve(BlockTable table, int length) {
        int free = pool.freeBlocks();
        if (!allocateSlots(table, length)) {
            throw new KvCacheExhaustedException("KV cache exhausted: " + (blocksFor(length) - table.blockCount())
                    + " more blocks needed for " + length + " positions, " + free + " of " + pool.capacity() + " free");
        }
    }

    /**
     * Registers in the prefix cache every full block of the table whose positions, {@code tokens[0, computedTokens)},
     * have been written. Does nothing when prefix caching is off.
     */
    public void cacheComputedBlocks(BlockTable table, int[] tokens, int computedTokens) {
        if (prefixCache == null) return;
        BlockHashChain chain = table.hashes(blockSize, tokens, computedTokens);
        int full = Math.min(Math.min(computedTokens / blockSize, chain.size()), table.blockCount());
        for (int b = table.cachedBlocks(); b < full; b++) prefixCache.register(table.block(b), chain.get(b));
        if (full > table.cachedBlocks()) table.setCachedBlocks(full);
    }

    /**
     * Returns every block of the table to the pool (ends, failures and preemptions of a sequence), last block first,
     * so that a sequence's cached tail is evicted before its head. The table keeps its tokens' hashes.
     */
    public void free(BlockTable table) {
        while (table.blockCount() > 0) pool.release(table.removeLast());
        table.setLength(0);
        table.setCachedBlocks(0);
    }

    /** Checks the pool's accounting and the prefix cache's agreement with it. */
    public void checkInvariants() {
        pool.checkInvariants();
        if (prefixCache != null) prefixCache.checkInvariants();
        else if (pool.reusableBlocks() != 0) throw new IllegalStateException("reusable blocks without a prefix cache");
    }
}
