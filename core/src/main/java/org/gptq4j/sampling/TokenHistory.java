package org.gptq4j.sampling;

import java.util.Arrays;

/**
 * The token ids of one sequence: the prompt followed by the generated tokens, with what the penalties
 * need kept up to date on every {@link #add(int)}: the distinct ids of the whole sequence (for the
 * repetition penalty) and how often each id was generated (for the frequency and presence penalties).
 *
 * <p>{@link Sampler#next} reads the history but does not add to it: the caller adds each chosen token with
 * {@link #add(int)} before asking for the next one. Not thread-safe; one per sequence.
 */
public final class TokenHistory {

    /** Prompt then generated ids, in order; {@code size} of them are used. */
    private int[] ids;
    private int size;
    private final int promptLength;

    /** Each id of the sequence once, in order of first appearance; {@code distinctCount} are used. */
    private int[] distinct;
    private int distinctCount;

    /** Indexed by id, grown on demand: times the id occurs in the whole sequence / in the generated part. */
    private int[] occurrences = new int[0];
    private int[] generatedOccurrences = new int[0];

    /** A history holding {@code promptIds} (copied) and nothing generated yet. */
    public TokenHistory(int... promptIds) {
        ids = new int[Math.max(16, promptIds.length + promptIds.length / 2)];
        distinct = new int[16];
        for (int id : promptIds) {
            append(id);
        }
        promptLength = size;
    }

    /** Records a generated token. */
    public void add(int tokenId) {
        append(tokenId);
        generatedOccurrences = grow(generatedOccurrences, tokenId);
        generatedOccurrences[tokenId]++;
    }

    private void append(int tokenId) {
        if (tokenId < 0) {
            throw new IllegalArgumentException("token id must be >= 0, but was " + tokenId);
        }
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[size++] = tokenId;
        occurrences = grow(occurrences, tokenId);
        if (occurrences[tokenId]++ == 0) {
            if (distinctCount == distinct.length) {
                distinct = Arrays.copyOf(distinct, distinct.length * 2);
            }
            distinct[distinctCount++] = tokenId;
        }
    }

    /** {@code counts}, or a longer copy when it has no slot for {@code id}. */
    private static int[] grow(int[] counts, int id) {
        return id < counts.length ? counts : Arrays.copyOf(counts, Math.max(id + 1, counts.length * 2));
    }

    /** Prompt plus generated tokens. */
    public int size() {
        return size;
    }

    public int promptLength() {
        return promptLength;
    }

    public int generatedLength() {
        return size - promptLength;
    }

    /** The id at {@code index}, counting from the first prompt token. */
    public int get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " out of bounds for history of " + size);
        }
        return ids[index];
    }

    /** The last id, prompt or generated; the history must not be empty. */
    public int last() {
        return get(size - 1);
    }

    /** How many times {@code tokenId} was generated (prompt occurrences are not counted). */
    public int generatedCount(int tokenId) {
        return tokenId >= 0 && tokenId < generatedOccurrences.length ? generatedOccurrences[tokenId] : 0;
    }

    /** True when {@code tokenId} occurs anywhere in the prompt or the generated tokens. */
    public boolean contains(int tokenId) {
        return tokenId >= 0 && tokenId < occurrences.length && occurrences[tokenId] > 0;
    }

    /** How many different ids the prompt and the generated tokens hold together. */
    public int distinctCount() {
        return distinctCount;
    }

    /** The {@code index}-th different id, in order of first appearance ({@code 0 <= index < distinctCount()}). */
    public int distinctId(int index) {
        if (index < 0 || index >= distinctCount) {
            throw new IndexOutOfBoundsException("index " + index + " out of bounds for " + distinctCount + " distinct ids");
        }
        return distinct[index];
    }

    /** A copy of all ids, prompt then generated. */
    public int[] toArray() {
        return Arrays.copyOf(ids, size);
    }

    /** A copy of the generated ids. */
    public int[] generated() {
        return Arrays.copyOfRange(ids, promptLength, size);
    }

    @Override
    public String toString() {
        return "TokenHistory[prompt=" + promptLength + ", generated=" + generatedLength() + "]";
    }
}
