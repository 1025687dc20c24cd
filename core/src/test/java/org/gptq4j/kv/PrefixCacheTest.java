package org.gptq4j.kv;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Block pool eviction order, the hash chain and the prefix cache's reference counting, without a model. */
class PrefixCacheTest {
    static final int BS = 4;

    static int[] tokens(int n, int salt) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = (i * 7 + salt) % 100;
        return t;
    }

    @Test
    void hashChainDependsOnTheWholePrefix() {
        int[] a = tokens(12, 0), b = a.clone();
        b[1] = 99; // differs in block 0 only
        BlockHashChain ca = new BlockHashChain(BS), cb = new BlockHashChain(BS);
        ca.update(a, 11);
        cb.update(b, 11);
        assertThat(ca.size()).as("only full blocks are hashed").isEqualTo(2);
        assertThat(ca.get(1)).as("block 1 holds the same tokens but follows a different block 0").isNotEqualTo(cb.get(1));
        BlockHashChain again = new BlockHashChain(BS);
        again.update(a, 8);
        again.update(a, 12);
        ca.update(a, 12);
        for (int i = 0; i < 3; i++) assertThat(again.get(i)).isEqualTo(ca.get(i));
    }

    @Test
    void contentFreeBlocksAreHandedOutBeforeCachedOnesAndCachedOnesLeastRecentlyReleasedFirst() {
        BlockPool pool = new BlockPool(4);
        List<Integer> evicted = new ArrayList<>();
        pool.onEviction(evicted::add);
        int a = pool.allocate(), b = pool.allocate(), c = pool.allocate();
        pool.markReusable(a);
        pool.markReusable(b);
        pool.release(a); // cached, released first
        pool.release(c); // content-free
        pool.release(b); // cached, released last
        pool.checkInvariants();
        assertThat(pool.freeBlocks()).isEqualTo(4);
        assertThat(pool.reusableBlocks()).isEqualTo(2);
        int first = pool.allocate(), second = pool.allocate();
        assertThat(List.of(first, second)).containsExactlyInAnyOrder(c, 3);
        assertThat(evicted).isEmpty();
        assertThat(pool.allocate()).isEqualTo(a);
        assertThat(evicted).containsExactly(a);
        assertThat(pool.allocate()).isEqualTo(b);
        assertThat(pool.allocate()).isEqualTo(-1);
        assertThat(pool.reusableBlocks()).isZero();
        pool.checkInvariants();
    }

    @Test
    void releaseTwiceIsCaught() {
        BlockPool pool = new BlockPool(2);
        int a = pool.allocate();
        pool.release(a);
        assertThatThrownBy(() -> pool.release(a)).hasMessageContaining("double release");
    }

    @Test
    void cachedPrefixIsReusedWithReferenceCountsAndEvictedWhenThePoolNeedsIt() {
        try (PagedKvCache cache = new PagedKvCache(1, 2, BS, 6, true)) {
            int[] prompt = tokens(10, 3);
            BlockTable first = new BlockTable();
            BlockHashChain chain = new BlockHashChain(BS);
            chain.update(prompt, prompt.length);
            assertThat(cache.attachCachedPrefix(first, chain, prompt.length - 1)).isZero();
            cache.reserve(first, prompt.length);
            cache.cacheFullBlocks(first, chain, prompt.length);
            assertThat(cache.prefixCache().cachedBlocks()).isEqualTo(2);

            // A second sequence with the same prompt shares both full blocks while the first still holds them.
            BlockTable second = new BlockTable();
            assertThat(cache.attachCachedPrefix(second, chain, prompt.length - 1)).isEqualTo(8);
            assertThat(second.block(0)).isEqualTo(first.block(0));
            assertThat(cache.pool().refCount(first.block(0))).isEqualTo(2);
            cache.reserve(second, prompt.length);
            assertThat(second.block(2)).isNotEqualTo(first.block(2));
            cache.checkInvariants();

            cache.release(first);
            cache.release(second);
            cache.checkInvariants();
            assertThat(cache.pool().freeBlocks()).isEqualTo(6);
            assertThat(cache.prefixCache().cachedBlocks()).as("cached blocks survive their owners").isEqualTo(2);

            // At most maxTokens are reused: a prompt of exactly 8 tokens reuses one block, never its last token's.
            BlockTable third = new BlockTable();
            int[] eight = java.util.Arrays.copyOf(prompt, 8);
            BlockHashChain eightChain = new BlockHashChain(BS);
            eightChain.update(eight, 8);
            assertThat(cache.attachCachedPrefix(third, eightChain, 7)).isEqualTo(4);
            cache.release(third);

            // Filling the pool with other content evicts them, and lookups then miss.
            BlockTable other = new BlockTable();
            cache.reserve(other, 6 * BS);
            assertThat(cache.prefixCache().cachedBlocks()).isZero();
            cache.checkInvariants();
            cache.release(other);
            assertThat(cache.attachCachedPrefix(new BlockTable(), chain, prompt.length - 1)).isZero();
            cache.checkInvariants();
        }
    }

    @Test
    void duplicateContentStaysPrivate() {
        try (PagedKvCache cache = new PagedKvCache(1, 2, BS, 4, true)) {
            int[] prompt = tokens(4, 1);
            BlockHashChain chain = new BlockHashChain(BS);
            chain.update(prompt, 4);
            BlockTable a = new BlockTable(), b = new BlockTable();
            cache.reserve(a, 4);
            cache.reserve(b, 4);
            cache.cacheFullBlocks(a, chain, 4);
            cache.cacheFullBlocks(b, chain, 4);
            assertThat(cache.prefixCache().cachedBlocks()).isEqualTo(1);
            assertThat(cache.pool().isReusable(b.block(0))).isFalse();
            cache.release(a);
            cache.release(b);
            cache.checkInvariants();
        }
    }

    @Test
    void withoutPrefixCachingNothingIsReused() {
        try (PagedKvCache cache = new PagedKvCache(1, 2, BS, 4)) {
            int[] prompt = tokens(8, 1);
            BlockHashChain chain = new BlockHashChain(BS);
            chain.update(prompt, 8);
            BlockTable a = new BlockTable();
            cache.reserve(a, 8);
            cache.cacheFullBlocks(a, chain, 8);
            cache.release(a);
            assertThat(cache.attachCachedPrefix(new BlockTable(), chain, 7)).isZero();
            assertThat(cache.prefixCache()).isNull();
            cache.checkInvariants();
        }
    }
}
