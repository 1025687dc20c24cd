package org.gptq4j.tokenizer;

import java.util.Arrays;

/**
 * The BPE merges of a tokenizer.json as an open-addressing hash table from a pair of ids to the merge's rank
 * (its position in the merge list) and resulting id: no boxing in the hot loop.
 */
final class MergeTable {
    private static final long EMPTY = -1;

    private final long[] keys;
    private final long[] values;
    private final int mask;

    MergeTable(int expectedSize) {
        int capacity = Integer.highestOneBit(Math.max(4, expectedSize) * 2 - 1) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        mask = capacity - 1;
        Arrays.fill(keys, EMPTY);
    }

    /** Adds the merge of {@code left} and {@code right} into {@code merged}; an earlier merge of the same pair wins. */
    void put(int left, int right, int rank, int merged) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != EMPTY) {
            if (keys[slot] == key) return;
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        values[slot] = BpeMerger.Lookup.merge(rank, merged);
    }

    /** The merge of {@code left} then {@code right} as {@link BpeMerger.Lookup#merge}, or {@link BpeMerger.Lookup#NONE}. */
    long find(int left, int right) {
        long key = key(left, right);
        for (int slot = slot(key); keys[slot] != EMPTY; slot = (slot + 1) & mask) {
            if (keys[slot] == key) return values[slot];
        }
        return BpeMerger.Lookup.NONE;
    }

    private static long key(int left, int right) {
        return (long) left << 32 | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
