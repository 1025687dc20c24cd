package org.gptq4j.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The paged KV cache: K and V vectors of every layer stored in fixed-size blocks of {@code blockSize} positions,
 * handed out by a {@link BlockPool} and addressed through each sequence's {@link BlockTable}.
 * Storage is off-heap float32: {@code [layer][block][slot][stride]} for keys, the same for values, the first
 * {@code kvDim} floats of each {@link #positionStride stride} holding a position's vector.
 * With prefix caching on, full blocks are registered in a {@link PrefixCache} once written and reused by
 * sequences that start with the same tokens; only full blocks are shared and shared blocks are never written
 * again (a sequence writes only positions past its reused prefix), so no copy-on-write is needed.
 */
public final class PagedKvCache implements AutoCloseable {
    private final int layers, kvDim, stride, blockSize;
    private final BlockPool pool;
    private final Arena arena;
    private final MemorySegment keys, values;
    private final PrefixCache prefixCache; // null when prefix caching is off

    public PagedKvCache(int layers, int kvDim, int blockSize, int blocks) {
        this(layers, kvDim, blockSize, blocks, false);
    }

    public PagedKvCache(int layers, int kvDim, int blockSize, int blocks, boolean prefixCaching) {
        if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        this.layers = layers;
        this.kvDim = kvDim;
        this.stride = positionStride(kvDim);
        this.blockSize = blockSize;
        this.pool = new BlockPool(blocks);
        this.prefixCache = prefixCaching ? new PrefixCache(pool) : null;
        this.arena = Arena.ofShared();
        long floats = (long) layers * blocks * blockSize * stride;
        this.keys = arena.allocate(floats * Float.BYTES, 64);
        this.values = arena.allocate(floats * Float.BYTES, 64);
    }

    /** Bytes one block takes across all layers, keys and values. */
    public static long bytesPerBlock(int layers, int kvDim, int blockSize) {
        return 2L * layers * blockSize * positionStride(kvDim) * Float.BYTES;
    }

    /**
     * Floats from one position's vector to the next. A vector of 1 KiB or more gets an odd number of 64-byte lines,
     * so that one head's vectors at successive positions fall into different cache sets (with a power-of-two stride,
     * 16 KiB for Llama-2-7B, they shared a few sets of L1 and L2 and attention read them from memory again for every
     * token); at most 1/16 more memory. Smaller vectors are stored as they are.
     */
    public static int positionStride(int kvDim) {
        int lines = (kvDim + 15) / 16;
        return lines < 16 ? kvDim : 16 * (lines % 2 == 0 ? lines + 1 : lines);
    }

    /** Floats from one position's vector to the next in {@link #keys()} and {@link #values()}. */
    public int positionStride() {
        return stride;
    }

    public int blockSize() {
        return blockSize;
    }

    public int kvDim() {
        return kvDim;
    }

    public BlockPool pool() {
        return pool;
    }

    /** The prefix cache, or null when prefix caching is off. */
    public PrefixCache prefixCache() {
        return prefixCache;
    }

    public MemorySegment keys() {
        return keys;
    }

    public MemorySegment values() {
        return values;
    }

    /** Blocks needed to hold {@code tokens} positions. */
    public int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }

    /**
     * Grows {@code table} to hold {@code newLength} positions, all or nothing: throws
     * {@link KvCacheExhaustedException} (leaving the table as it was) when the pool cannot supply the blocks.
     */
    public void reserve(BlockTable table, int newLength) {
        int needed = blocksFor(newLength) - table.blockCount();
        if (needed > pool.freeBlocks()) {
            throw new KvCacheExhaustedException("KV cache exhausted: " + needed + " more blocks needed for "
                    + newLength + " positions, " + pool.freeBlocks() + " of " + pool.capacity() + " free");
        }
        for (int i = 0; i < needed; i++) table.add(pool.allocate());
        if (newLength > table.length()) table.setLength(newLength);
    }

    /**
     * Returns every block of the table to the pool (ends, failures and preemptions of a sequence), last block
     * first, so that a sequence's cached tail is evicted before its head.
     */
    public void release(BlockTable table) {
        while (table.blockCount() > 0) pool.release(table.removeLast());
        table.setLength(0);
        table.setCachedBlocks(0);
    }

    /**
     * Fills an empty table with the cached blocks that hold the longest prefix of {@code chain}, covering at most
     * {@code maxTokens} positions, and returns the number of positions reused (a multiple of the block size;
     * 0 when prefix caching is off). The reused blocks gain one reference each.
     */
    public int attachCachedPrefix(BlockTable table, BlockHashChain chain, int maxTokens) {
        if (table.blockCount() != 0) throw new IllegalStateException("a cached prefix can only start an empty table: " + table);
        if (prefixCache == null) return 0;
        int[] blocks = prefixCache.acquireLongestPrefix(chain, maxTokens / blockSize);
        for (int b : blocks) table.add(b);
        table.setCachedBlocks(blocks.length);
        table.setLength(blocks.length * blockSize);
        return blocks.length * blockSize;
    }

    /**
     * Registers in the prefix cache every full block of the table whose {@code computedTokens} positions have been
     * written and hashed in {@code chain}. Does nothing when prefix caching is off.
     */
    public void cacheFullBlocks(BlockTable table, BlockHashChain chain, int computedTokens) {
        if (prefixCache == null) return;
        int full = Math.min(Math.min(computedTokens / blockSize, chain.size()), table.blockCount());
        for (int b = table.cachedBlocks(); b < full; b++) prefixCache.register(table.block(b), chain.get(b));
        if (full > table.cachedBlocks()) table.setCachedBlocks(full);
    }

    /** Checks the pool's accounting and the prefix cache's agreement with it. */
    public void checkInvariants() {
        pool.checkInvariants();
        if (prefixCache != null) prefixCache.checkInvariants();
        else if (pool.reusableBlocks() != 0) throw new IllegalStateException("reusable blocks without a prefix cache");
    }

    /** Float index of position {@code pos}'s vector for {@code layer} in {@link #keys()} / {@link #values()}. */
    public long offset(int layer, BlockTable table, int pos) {
        int block = table.block(pos / blockSize);
        return layerOffset(layer) + ((long) block * blockSize + pos % blockSize) * stride;
    }

    /** Float index of {@code layer}'s first vector: position p of a table is at {@code + (block * blockSize + p % blockSize) * stride}. */
    public long layerOffset(int layer) {
        return (long) layer * pool.capacity() * blockSize * stride;
    }

    @Override
    public void close() {
        arena.close();
    }
}
