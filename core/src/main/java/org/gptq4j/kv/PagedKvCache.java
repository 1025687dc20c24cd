package org.gptq4j.kv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The paged KV cache: K and V vectors of every layer stored in fixed-size blocks of {@code blockSize} positions,
 * handed out by a {@link BlockPool} and addressed through each sequence's {@link BlockTable}.
 * Storage is off-heap float32: {@code [layer][block][slot][kvDim]} for keys, the same for values.
 */
public final class PagedKvCache implements AutoCloseable {
    private final int layers, kvDim, blockSize;
    private final BlockPool pool;
    private final Arena arena;
    private final MemorySegment keys, values;

    public PagedKvCache(int layers, int kvDim, int blockSize, int blocks) {
        if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        this.layers = layers;
        this.kvDim = kvDim;
        this.blockSize = blockSize;
        this.pool = new BlockPool(blocks);
        this.arena = Arena.ofShared();
        long floats = (long) layers * blocks * blockSize * kvDim;
        this.keys = arena.allocate(floats * Float.BYTES, 64);
        this.values = arena.allocate(floats * Float.BYTES, 64);
    }

    /** Bytes one block takes across all layers, keys and values. */
    public static long bytesPerBlock(int layers, int kvDim, int blockSize) {
        return 2L * layers * blockSize * kvDim * Float.BYTES;
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

    /** Returns every block of the table to the pool (ends or failures of a sequence). */
    public void release(BlockTable table) {
        while (table.blockCount() > 0) pool.release(table.removeLast());
        table.setLength(0);
    }

    /** Float index of position {@code pos}'s vector for {@code layer} in {@link #keys()} / {@link #values()}. */
    public long offset(int layer, BlockTable table, int pos) {
        int block = table.block(pos / blockSize);
        return (((long) layer * pool.capacity() + block) * blockSize + pos % blockSize) * kvDim;
    }

    @Override
    public void close() {
        arena.close();
    }
}
