package org.gptq4j.scheduler;

import org.gptq4j.kv.BlockTable;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One request's token sequence as the scheduler sees it: prompt then generated ids, how many of them have their
 * keys and values in the cache ({@link #computedTokens()}), and its KV blocks. Prefill, decode and recomputation
 * after preemption are the same thing here: computing the tokens not computed yet. Mutable state belongs to the
 * engine thread; {@link #cancel()} may be called from any thread.
 */
public final class Sequence {
    /** Where a sequence is in its life. */
    public enum Status { WAITING, RUNNING, PREEMPTED, ENDED }

    private static final AtomicLong IDS = new AtomicLong();

    private final long id = IDS.incrementAndGet();
    private final int promptLength;
    private final int maxNewTokens;
    private final SequenceCallbacks callbacks;
    private final BlockTable table = new BlockTable();
    private int[] tokens;
    private int length;
    private int computed;
    private Status status = Status.WAITING;
    private volatile boolean cancelRequested;
    private int preemptions;
    private int cachedPromptTokens;
    private long submittedNanos, firstScheduledNanos = -1, firstTokenNanos = -1, lastTokenNanos = -1;

    /**
     * @param prompt       the prompt's token ids (at least one)
     * @param maxNewTokens how many tokens at most to generate (at least one)
     */
    public Sequence(int[] prompt, int maxNewTokens, SequenceCallbacks callbacks) {
        if (prompt.length == 0) throw new IllegalArgumentException("a sequence needs at least one prompt token");
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        this.promptLength = prompt.length;
        this.maxNewTokens = maxNewTokens;
        this.callbacks = callbacks;
        this.tokens = Arrays.copyOf(prompt, prompt.length + Math.min(maxNewTokens, 64));
        this.length = prompt.length;
    }

    public long id() {
        return id;
    }

    public int promptLength() {
        return promptLength;
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** Prompt plus generated tokens. */
    public int length() {
        return length;
    }

    public int generatedCount() {
        return length - promptLength;
    }

    /** Tokens whose keys and values are in the KV cache. */
    public int computedTokens() {
        return computed;
    }

    public int token(int index) {
        if (index >= length) throw new IndexOutOfBoundsException("token " + index + " of " + length);
        return tokens[index];
    }

    public int[] generatedTokens() {
        return Arrays.copyOfRange(tokens, promptLength, length);
    }

    public int[] allTokens() {
        return Arrays.copyOf(tokens, length);
    }

    public Status status() {
        return status;
    }

    /** Times this sequence was preempted (its blocks freed and its tokens recomputed later). */
    public int preemptions() {
        return preemptions;
    }

    /** Prompt tokens taken from the prefix cache at its first admission. */
    public int cachedPromptTokens() {
        return cachedPromptTokens;
    }

    /** Asks the scheduler to end this sequence at the next step boundary; safe from any thread. */
    public void cancel() {
        cancelRequested = true;
    }

    public boolean isCancelRequested() {
        return cancelRequested;
    }

    public long submittedNanos() {
        return submittedNanos;
    }

    /** When its first token was produced, or -1. */
    public long firstTokenNanos() {
        return firstTokenNanos;
    }

    /** When its latest token was produced, or -1. */
    public long lastTokenNanos() {
        return lastTokenNanos;
    }

    /** When it was first admitted to the running batch, or -1. */
    public long firstScheduledNanos() {
        return firstScheduledNanos;
    }

    // ---- engine-thread state transitions, used by the scheduler ----

    SequenceCallbacks callbacks() {
        return callbacks;
    }

    BlockTable table() {
        return table;
    }

    int[] tokenArray() {
        return tokens;
    }

    void submitted(long now) {
        submittedNanos = now;
    }

    void admitted(long now, int reusedTokens) {
        status = Status.RUNNING;
        if (firstScheduledNanos < 0) {
            firstScheduledNanos = now;
            cachedPromptTokens = reusedTokens;
        }
        computed = reusedTokens;
    }

    void computed(int count) {
        computed += count;
    }

    void append(int token, long now) {
        if (length == tokens.length) tokens = Arrays.copyOf(tokens, length * 2);
        tokens[length++] = token;
        if (firstTokenNanos < 0) firstTokenNanos = now;
        lastTokenNanos = now;
    }

    void preempted() {
        status = Status.PREEMPTED;
        computed = 0;
        preemptions++;
    }

    void ended() {
        status = Status.ENDED;
    }

    @Override
    public String toString() {
        return "Sequence#" + id + "[" + status + ", prompt=" + promptLength + ", generated=" + generatedCount() + ", computed=" + computed + "]";
    }
}
