package org.gptq4j.kv;

/**
 * The free KV blocks in the order they are handed out: an intrusive doubly linked list over block ids with O(1)
 * insertion at either end and O(1) removal of any block (needed when a cached free block is reused). Blocks
 * without reusable content are pushed at the front (handed out first); blocks that still hold a cached prefix are
 * pushed at the back, so the least recently freed cached block is the first one evicted.
 */
final class FreeBlockQueue {
    private static final int NONE = -1;
    private final int[] prev, next;
    private final boolean[] queued;
    private int head = NONE, tail = NONE, size;

    FreeBlockQueue(int capacity) {
        prev = new int[capacity];
        next = new int[capacity];
        queued = new boolean[capacity];
    }

    int size() {
        return size;
    }

    boolean contains(int id) {
        return queued[id];
    }

    void pushFront(int id) {
        link(id, NONE, head);
    }

    void pushBack(int id) {
        link(id, tail, NONE);
    }

    /** The first block, removed from the queue; the queue must not be empty. */
    int popFront() {
        if (head == NONE) throw new IllegalStateException("no free block");
        int id = head;
        remove(id);
        return id;
    }

    void remove(int id) {
        if (!queued[id]) throw new IllegalStateException("block " + id + " is not in the free queue");
        int p = prev[id], n = next[id];
        if (p == NONE) head = n; else next[p] = n;
        if (n == NONE) tail = p; else prev[n] = p;
        queued[id] = false;
        size--;
    }

    /** The queued blocks from front to back. */
    int[] toArray() {
        int[] out = new int[size];
        int i = 0;
        for (int id = head; id != NONE; id = next[id]) {
            if (i == size) throw new IllegalStateException("free queue is longer than its size " + size + " (a cycle?)");
            out[i++] = id;
        }
        if (i != size) throw new IllegalStateException("free queue links " + i + " blocks, size says " + size);
        return out;
    }

    private void link(int id, int before, int after) {
        if (queued[id]) throw new IllegalStateException("block " + id + " is already in the free queue");
        prev[id] = before;
        next[id] = after;
        if (before == NONE) head = id; else next[before] = id;
        if (after == NONE) tail = id; else prev[after] = id;
        queued[id] = true;
        size++;
    }
}
