package org.gptq4j.kv;

import java.util.HashMap;
import java.util.Map;

/**
 * Full KV blocks keyed by the hash chain of the tokens they hold, so that a new sequence whose prompt starts with
 * the same tokens reuses their keys and values instead of recomputing them. A registered block stays cached after
 * its last owner releases it, until the {@link BlockPool} needs it for new content (least recently released
 * first); the pool tells this cache, which forgets the hash. Also counts lookups for the hit rate.
 * Not thread-safe: the engine's step loop owns it.
 */
public final class PrefixCache {
    private final BlockPool pool;
    private final Map<BlockHash, Integer> blockByHash = new HashMap<>();
    private final BlockHash[] hashByBlock;
    private long queriedTokens, hitTokens;

    public PrefixCache(BlockPool pool) {
        this.pool = pool;
        this.hashByBlock = new BlockHash[pool.capacity()];
        pool.onEviction(this::evicted);
    }

    /**
     * Acquires (one more reference each) the longest run of cached blocks matching the first {@code maxBlocks}
     * hashes of {@code chain}, and returns their ids in order.
     */
    public int[] acquireLongestPrefix(BlockHashChain chain, int maxBlocks) {
        int n = 0;
        int limit = Math.min(maxBlocks, chain.size());
        while (n < limit && blockByHash.containsKey(chain.get(n))) n++;
        int[] blocks = new int[n];
        for (int i = 0; i < n; i++) {
            blocks[i] = blockByHash.get(chain.get(i));
            pool.acquireReusable(blocks[i]);
        }
        return blocks;
    }

    /** Counts one prompt lookup for the hit rate: {@code queried} prompt tokens, {@code hit} of them reused. */
    public void recordLookup(int queried, int hit) {
        queriedTokens += queried;
        hitTokens += hit;
    }

    /**
     * Registers a held, fully written block under {@code hash}. If another block already holds the same content,
     * this one stays private (returns false) and is freed normally.
     */
    public boolean register(int block, BlockHash hash) {
        if (hashByBlock[block] != null) return hashByBlock[block].equals(hash);
        if (blockByHash.putIfAbsent(hash, block) != null) return false;
        hashByBlock[block] = hash;
        pool.markReusable(block);
        return true;
    }

    private void evicted(int block) {
        BlockHash hash = hashByBlock[block];
        hashByBlock[block] = null;
        if (hash == null || blockByHash.remove(hash) != block) {
            throw new IllegalStateException("evicted block " + block + " was not in the prefix cache");
        }
    }

    /** Blocks currently registered (held or free). */
    public int cachedBlocks() {
        return blockByHash.size();
    }

    /** Prompt tokens looked up so far. */
    public long queriedTokens() {
        return queriedTokens;
    }

    /** Prompt tokens found in cached blocks so far. */
    public long hitTokens() {
        return hitTokens;
    }

    /** hitTokens / queriedTokens, 0 before any lookup. */
    public double hitRate() {
        return queriedTokens == 0 ? 0 : (double) hitTokens / queriedTokens;
    }

    /** The map and the per-block hashes agree, and exactly the registered blocks are marked reusable in the pool. */
    public void checkInvariants() {
        for (Map.Entry<BlockHash, Integer> e : blockByHash.entrySet()) {
            if (!e.getKey().equals(hashByBlock[e.getValue()])) {
                throw new IllegalStateException("prefix cache maps " + e.getKey() + " to block " + e.getValue() + " which holds " + hashByBlock[e.getValue()]);
            }
        }
        int registered = 0;
        for (int id = 0; id < hashByBlock.length; id++) {
            if (hashByBlock[id] != null) registered++;
            if ((hashByBlock[id] != null) != pool.isReusable(id)) {
                throw new IllegalStateException("block " + id + " cached=" + (hashByBlock[id] != null) + " but reusable=" + pool.isReusable(id));
            }
        }
        if (registered != blockByHash.size()) throw new IllegalStateException("prefix cache map and block hashes disagree");
    }
}
