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
        KvCacheManager kv = new KvCacheManager(BS, 6, true);
        int[] prompt = tokens(10, 3);
        BlockTable first = new BlockTable();
        assertThat(kv.getComputedBlocks(first, prompt, prompt.length - 1)).isZero();
        kv.reserve(first, prompt.length);
        kv.cacheComputedBlocks(first, prompt, prompt.length);
        assertThat(kv.prefixCache().cachedBlocks()).isEqualTo(2);

        // A second sequence with the same prompt shares both full blocks while the first still holds them.
        BlockTable second = new BlockTable();
        assertThat(kv.getComputedBlocks(second, prompt, prompt.length - 1)).isEqualTo(8);
        assertThat(second.block(0)).isEqualTo(first.block(0));
        assertThat(kv.refCount(first.block(0))).isEqualTo(2);
        kv.reserve(second, prompt.length);
        assertThat(second.block(2)).isNotEqualTo(first.block(2));
        kv.checkInvariants();

        kv.free(first);
        kv.free(second);
        kv.checkInvariants();
        assertThat(kv.freeBlocks()).isEqualTo(6);
        assertThat(kv.prefixCache().cachedBlocks()).as("cached blocks survive their owners").isEqualTo(2);

        // At most maxTokens are reused: a prompt of exactly 8 tokens reuses one block, never its last token's.
        BlockTable third = new BlockTable();
        int[] eight = java.util.Arrays.copyOf(prompt, 8);
        assertThat(kv.getComputedBlocks(third, eight, 7)).isEqualTo(4);
        kv.free(third);

        // Filling the pool with other content evicts them, and lookups then miss.
        BlockTable other = new BlockTable();
        kv.reserve(other, 6 * BS);
        assertThat(kv.prefixCache().cachedBlocks()).isZero();
        kv.checkInvariants();
        kv.free(other);
        assertThat(kv.getComputedBlocks(new BlockTable(), prompt, prompt.length - 1)).isZero();
        kv.checkInvariants();
    }

    @Test
    void duplicateContentStaysPrivate() {
        KvCacheManager kv = new KvCacheManager(BS, 4, true);
        int[] prompt = tokens(4, 1);
        BlockTable a = new BlockTable(), b = new BlockTable();
        kv.reserve(a, 4);
        kv.reserve(b, 4);
        kv.cacheComputedBlocks(a, prompt, 4);
        kv.cacheComputedBlocks(b, prompt, 4);
        assertThat(kv.prefixCache().cachedBlocks()).isEqualTo(1);
        kv.free(a);
        kv.free(b);
        kv.checkInvariants();
        assertThat(kv.getComputedBlocks(new BlockTable(), prompt, 4)).as("the registered copy").isEqualTo(4);
    }

    @Test
    void withoutPrefixCachingNothingIsReused() {
        KvCacheManager kv = new KvCacheManager(BS, 4, false);
        int[] prompt = tokens(8, 1);
        BlockTable a = new BlockTable();
        kv.reserve(a, 8);
        kv.cacheComputedBlocks(a, prompt, 8);
        kv.free(a);
        assertThat(kv.getComputedBlocks(new BlockTable(), prompt, 7)).isZero();
        assertThat(kv.prefixCache()).isNull();
        kv.checkInvariants();
    }

    @Test
    void slotsThatDoNotFitLeaveTheTableAsItWasAndAdmissionKeepsHeadroomForTheRunning() {
        KvCacheManager kv = new KvCacheManager(BS, 4, false);
        BlockTable a = new BlockTable();
        assertThat(kv.allocateSlots(a, 3 * BS)).isTrue();
        assertThat(kv.allocateSlots(a, 5 * BS)).as("two more blocks, one free").isFalse();
        assertThat(a.blockCount()).isEqualTo(3);
        assertThat(a.length()).isEqualTo(3 * BS);
        BlockTable b = new BlockTable();
        assertThat(kv.allocateSlotsToAdmit(b, BS, 1)).as("the last free block is the running sequence's headroom").isFalse();
        assertThat(b.blockCount()).isZero();
        assertThat(kv.allocateSlotsToAdmit(b, BS, 0)).isTrue();
        assertThatThrownBy(() -> kv.reserve(new BlockTable(), 1)).isInstanceOf(KvCacheExhaustedException.class)
                .hasMessageContaining("0 of 4 free");
        kv.free(a);
        kv.free(b);
        kv.checkInvariants();
        assertThat(kv.usedBlocks()).isZero();
    }
}
