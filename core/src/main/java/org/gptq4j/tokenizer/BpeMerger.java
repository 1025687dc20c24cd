package org.gptq4j.tokenizer;

import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * Greedy BPE over a doubly linked list of symbols, as both sentencepiece ({@code bpe_model.cc}) and Hugging Face
 * ({@code Word::merge_all}) do it: all adjacent pairs that form a known symbol wait in a priority queue; the best
 * pair (lowest rank, leftmost on ties) merges first, and only the two pairs it touches are looked up again.
 * O(n log n) in the number of symbols. What "rank" means (score order, merge-list order) is the caller's
 * {@link Lookup}.
 */
final class BpeMerger {
    private BpeMerger() {}

    /** The merge rule for two adjacent symbols. */
    @FunctionalInterface
    interface Lookup {
        long NONE = -1;

        /**
         * The merge of symbol {@code leftId} and {@code rightId}, which together cover units {@code [from, to)}
         * of the caller's input, as {@link #merge(int, int)}, or {@link #NONE}.
         */
        long find(int leftId, int rightId, int from, int to);

        /** Packs a merge: lower rank merges first; {@code mergedId} is the resulting symbol. */
        static long merge(int rank, int mergedId) {
            return (long) rank << 32 | (mergedId & 0xFFFFFFFFL);
        }
    }

    /** Final symbols in order: symbol i has id {@code ids[i]} and covers units {@code [starts[i], ends[i])}. */
    record Symbols(int[] ids, int[] starts, int[] ends) {
        int size() {
            return ids.length;
        }
    }

    /** A queued pair: merging {@code left} with {@code right}, valid while {@code right} still ends at {@code end}. */
    private record Candidate(int rank, int left, int right, int end, int mergedId) {}

    /**
     * Merges the symbols {@code ids}, where symbol i covers units {@code [bounds[i], bounds[i+1])}.
     *
     * @param bounds {@code ids.length + 1} strictly increasing offsets
     */
    static Symbols merge(int[] ids, int[] bounds, Lookup lookup) {
        int n = ids.length;
        int[] id = ids.clone();
        int[] end = Arrays.copyOfRange(bounds, 1, n + 1);
        int[] prev = new int[n], next = new int[n];
        boolean[] absorbed = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var queue = new PriorityQueue<Candidate>(Math.max(1, n), (a, b) ->
                a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        var pairs = new Object() {
            void offer(int left, int right) {
                if (left < 0 || right < 0) return;
                long merge = lookup.find(id[left], id[right], bounds[left], end[right]);
                if (merge != Lookup.NONE) queue.add(new Candidate((int) (merge >> 32), left, right, end[right], (int) merge));
            }
        };
        for (int i = 0; i + 1 < n; i++) pairs.offer(i, i + 1);

        while (!queue.isEmpty()) {
            Candidate best = queue.poll();
            int left = best.left, right = best.right;
            // Stale: either side was merged into something else since this pair was queued.
            if (absorbed[left] || next[left] != right || end[right] != best.end) continue;
            // The left symbol absorbs the right one.
            id[left] = best.mergedId;
            end[left] = end[right];
            absorbed[right] = true;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            pairs.offer(prev[left], left);
            pairs.offer(left, next[left]);
        }

        int count = 0;
        for (int i = 0; i < n; i++) if (!absorbed[i]) count++;
        var result = new Symbols(new int[count], new int[count], new int[count]);
        for (int i = 0, k = 0; i < n; i++) {
            if (absorbed[i]) continue;
            result.ids[k] = id[i];
            result.starts[k] = bounds[i];
            result.ends[k++] = end[i];
        }
        return result;
    }
}
