package org.gptq4j.kv;

import java.util.ArrayList;
import java.util.List;

/**
 * The hashes of one sequence's full blocks, in order, extended as the sequence grows: hash {@code i} covers
 * tokens {@code [0, (i + 1) * blockSize)}. Only full blocks have a hash; the partial tail never does.
 */
public final class BlockHashChain {
    private final int blockSize;
    private final List<BlockHash> hashes = new ArrayList<>();

    public BlockHashChain(int blockSize) {
        if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        this.blockSize = blockSize;
    }

    /** Hashes every full block of {@code tokens[0, length)} not hashed yet; the tokens before must not have changed. */
    public void update(int[] tokens, int length) {
        for (int b = hashes.size(); (b + 1) * blockSize <= length; b++) {
            hashes.add(BlockHash.of(b == 0 ? null : hashes.get(b - 1), tokens, b * blockSize, (b + 1) * blockSize));
        }
    }

    /** Number of full blocks hashed. */
    public int size() {
        return hashes.size();
    }

    public BlockHash get(int block) {
        return hashes.get(block);
    }

    public int blockSize() {
        return blockSize;
    }
}
