package org.gptq4j.sampling;

import java.util.Arrays;

/**
 * The tokens still in the running for one draw, as {@link LogitKey}s in a buffer sized once for the
 * vocabulary and reused for every token. The filters (top-k, top-p, min-p) shrink the live prefix
 * {@code keys[0, size)}; {@link #draw} samples from what is left.
 *
 * <p>Probabilities are never materialised: with {@code m} the largest logit and {@code T} the temperature,
 * the unnormalised weight of a token with logit {@code l} is {@code w = exp((l - m) / T)}, computed in
 * double, so {@code 0 <= w <= 1}, the top token has {@code w = 1}, and neither huge logits nor tiny
 * temperatures overflow. Dividing by {@code T} after subtracting {@code m} is softmax(logits / T).
 */
final class Candidates {

    /** How close to top_p a cumulative probability must come to count as reaching it. */
    static final double TOP_P_TOLERANCE = 1e-6;

    private final long[] keys;
    private int size;
    /** The largest logit of the live tokens; every filter keeps the top token, so it never changes. */
    private float maxLogit;

    Candidates(int vocabSize) {
        keys = new long[vocabSize];
    }

    int size() {
        return size;
    }

    /**
     * Makes every token with a logit above -infinity a candidate; +infinity counts as the largest float.
     * Throws when a logit is NaN or no token is left.
     */
    void fill(float[] logits) {
        int n = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int id = 0; id < logits.length; id++) {
            float l = logits[id];
            if (l != l) {
                throw new IllegalArgumentException("logit of token " + id + " is NaN");
            }
            if (l == Float.NEGATIVE_INFINITY) continue;   // probability 0: never a candidate
            l = Math.min(l, Float.MAX_VALUE);             // +inf -> MAX_VALUE keeps (l - m) finite
            max = Math.max(max, l);
            keys[n++] = LogitKey.of(l, id);
        }
        if (n == 0) {
            throw new IllegalArgumentException("no token can be chosen: every logit is -infinity");
        }
        size = n;
        maxLogit = max;
    }

    /** {@code exp((logit - maxLogit) / temperature)}: the token's probability times the partition sum. */
    private double weight(long key, double temperature) {
        return Math.exp(((double) LogitKey.logit(key) - maxLogit) / temperature);
    }

    /**
     * Keeps the {@code k} highest logits and every token tied with the k-th (transformers' TopKLogitsWarper
     * removes only logits strictly below the k-th largest). Expected O(size).
     */
    void keepTopK(int k) {
        if (k >= size) return;
        selectSmallest(k);
        keepThroughAndTies(k - 1);
    }

    /**
     * Keeps the smallest set of most likely tokens whose probabilities add up to at least {@code topP}
     * (transformers' TopPLogitsWarper), always at least one, and every token tied with the last one kept.
     * A running sum within {@link #TOP_P_TOLERANCE} of {@code topP} counts as reaching it, so that a
     * boundary exact in decimal (0.5 + 0.3 = 0.8) is not decided by rounding. Expected O(size): the
     * boundary is found by partitioning, without sorting the vocabulary.
     */
    void keepTopP(double topP, double temperature) {
        if (topP >= 1) return;
        double total = 0;
        for (int i = 0; i < size; i++) total += weight(keys[i], temperature);
        int last = topPBoundary((topP - TOP_P_TOLERANCE) * total, temperature);
        keepThroughAndTies(last);
    }

    /**
     * Drops tokens whose probability is below {@code minP} times the top token's (transformers'
     * MinPLogitsWarper): p / p_max = w, since the top token has weight 1.
     */
    void keepMinP(double minP, double temperature) {
        if (minP <= 0) return;
        int kept = 0;
        for (int i = 0; i < size; i++) {
            if (weight(keys[i], temperature) >= minP) keys[kept++] = keys[i];   // stable: order survives
        }
        size = kept;
    }

    /**
     * The token id at which the cumulative weight first exceeds {@code uniform * total}, with
     * {@code uniform} in [0, 1): a draw from softmax(logits / temperature) restricted to the candidates.
     */
    int draw(double temperature, double uniform) {
        double total = 0;
        for (int i = 0; i < size; i++) total += weight(keys[i], temperature);
        double target = uniform * total;
        double cumulative = 0;
        for (int i = 0; i < size; i++) {
            cumulative += weight(keys[i], temperature);
            if (target < cumulative) return LogitKey.tokenId(keys[i]);
        }
        // Only rounding gets here (target ~ total): the last candidate with a weight above 0.
        for (int i = size - 1; i > 0; i--) {
            if (weight(keys[i], temperature) > 0) return LogitKey.tokenId(keys[i]);
        }
        return LogitKey.tokenId(keys[0]);
    }

    /** The candidates' token ids, ascending; for tests and diagnostics (allocates). */
    int[] tokenIds() {
        int[] ids = new int[size];
        for (int i = 0; i < size; i++) ids[i] = LogitKey.tokenId(keys[i]);
        Arrays.sort(ids);
        return ids;
    }

    /**
     * The index of the last token kept by top-p, with keys[0, index] rearranged to be the best tokens:
     * in key order (best first), the first position where the running weight reaches {@code target}.
     * Quickselect on that position: each partition either contains it on its better side, or the whole
     * better side and the pivot are kept and the search continues on the worse side.
     */
    private int topPBoundary(double target, double temperature) {
        int lo = 0;
        int hi = size - 1;
        double before = 0;   // weight of keys[0, lo), all better than keys[lo, hi]
        while (lo < hi) {
            int p = partition(lo, hi);
            double left = before;   // + weight of keys[lo, p), the tokens better than the pivot
            for (int i = lo; i < p; i++) left += weight(keys[i], temperature);
            if (left >= target) {
                hi = p - 1;
                continue;
            }
            double through = left + weight(keys[p], temperature);
            if (through >= target) return p;
            before = through;
            lo = p + 1;
        }
        return Math.min(lo, size - 1);
    }

    /** Keeps keys[0, last] and every later token whose logit equals that of keys[last]. */
    private void keepThroughAndTies(int last) {
        float boundary = LogitKey.logit(keys[last]);
        int kept = last + 1;
        for (int i = kept; i < size; i++) {
            if (LogitKey.logit(keys[i]) == boundary) swap(kept++, i);
        }
        size = kept;
    }

    /**
     * Quickselect: rearranges keys[0, size) so that keys[0, k) are the k smallest keys (the k best tokens),
     * in no particular order. Expected O(size).
     */
    private void selectSmallest(int k) {
        int target = k - 1;
        int lo = 0;
        int hi = size - 1;
        while (lo < hi) {
            int p = partition(lo, hi);
            if (p == target) return;
            if (target < p) hi = p - 1;
            else lo = p + 1;
        }
    }

    /**
     * Lomuto partition of keys[lo, hi] around the median of the first, middle and last keys; returns the
     * pivot's final index p, with keys[lo, p) &lt; keys[p] &lt; keys(p, hi]. Keys are distinct (they contain
     * the token id), so equal logits cannot make partitions lopsided.
     */
    private int partition(int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        if (keys[mid] < keys[lo]) swap(mid, lo);
        if (keys[hi] < keys[lo]) swap(hi, lo);
        if (keys[mid] < keys[hi]) swap(mid, hi);   // keys[lo] <= keys[hi] <= keys[mid]: the median is at hi
        long pivot = keys[hi];
        int store = lo;
        for (int i = lo; i < hi; i++) {
            if (keys[i] < pivot) swap(i, store++);
        }
        swap(store, hi);
        return store;
    }

    private void swap(int i, int j) {
        long t = keys[i];
        keys[i] = keys[j];
        keys[j] = t;
    }
}
