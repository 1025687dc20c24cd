package org.gptq4j.kv;

import java.util.Arrays;

/**
 * The KV blocks of one sequence, in position order: position p lives in block {@code blocks[p / blockSize]}. Filled
 * and emptied by the {@link KvCacheManager} only; it also keeps the hashes of the sequence's full blocks, which
 * outlive a preemption (the tokens do not change).
 */
public final class BlockTable {
    private int[] blocks = new int[8];
    private int blockCount;
    private int length; // tokens whose K/V have been (or are being) written
    private int cachedBlocks; // leading blocks already registered in (or taken from) the prefix cache
    private BlockHashChain hashes; // of the full blocks, made when prefix caching first needs them

    public int blockCount() {
        return blockCount;
    }

    public int block(int index) {
        if (index >= blockCount) throw new IndexOutOfBoundsException("block " + index + " of " + blockCount);
        return blocks[index];
    }

    /**
     * The block ids in position order, for kernels that read the cache directly: the first {@link #blockCount()} entries
     * are the table (the array may be longer and is replaced as the table grows); read it, never write it.
     */
    public int[] blocks() {
        return blocks;
    }

    public int length() {
        return length;
    }

    /** Leading blocks registered in or taken from the prefix cache. */
    int cachedBlocks() {
        return cachedBlocks;
    }

    void setCachedBlocks(int cachedBlocks) {
        this.cachedBlocks = cachedBlocks;
    }

    /** The hashes of the full blocks of {@code tokens[0, length)} (the tokens before must not have changed). */
    BlockHashChain hashes(int blockSize, int[] tokens, int length) {
        if (hashes == null) hashes = new BlockHashChain(blockSize);
        hashes.update(tokens, length);
        return hashes;
    }

    void setLength(int length) {
        this.length = length;
    }

    void add(int block) {
        if (blockCount == blocks.length) blocks = Arrays.copyOf(blocks, blockCount * 2);
        blocks[blockCount++] = block;
    }

    int removeLast() {
        return blocks[--blockCount];
    }

    int[] blockIds() {
        return Arrays.copyOf(blocks, blockCount);
    }

    @Override
    public String toString() {
        return "BlockTable" + Arrays.toString(blockIds()) + " length=" + length;
    }
}
