package org.gptq4j.scheduler;

import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.NonFiniteLogitsException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Continuous batching over the paged KV cache, whose blocks it asks of the {@link KvCacheManager} alone (the KV
 * memory is the {@link ModelRunner}'s). Each {@link #step()} runs one forward pass for every sequence it schedules:
 * <ol>
 *   <li>ends cancelled sequences and those that waited longer than the queue timeout, freeing their blocks;</li>
 *   <li>gives every running sequence its next tokens: one decode token each, or the next chunk of a prompt being
 *       prefilled (prompt chunks share the {@code maxBatchPrefillTokens} budget); when the pool has no block for
 *       a sequence, the most recently admitted running sequence is preempted (blocks freed, tokens recomputed
 *       when it is readmitted) until it fits;</li>
 *   <li>if nothing was preempted, admits waiting sequences in FIFO order (preempted ones first) while the
 *       concurrency limit, the prefill budget and the free blocks allow, reusing cached prefix blocks;</li>
 *   <li>runs the forward pass, registers newly full blocks in the prefix cache, samples a token for every
 *       sequence whose tokens are all computed, and ends those that stop or reach their length.</li>
 * </ol>
 * A failure while handling one sequence (its forward pass, its sampling, constraint or callbacks), an
 * {@code OutOfMemoryError} or {@code StackOverflowError} included, fails that sequence and no other; when a
 * forward pass over several sequences fails, each is rerun alone to find the ones that fail. Anything thrown by
 * the scheduler's own bookkeeping, outside any sequence, leaves {@link #step()}: its state can no longer be
 * trusted, and the engine closes.
 * {@link #submit} and {@link #cancel} may be called from any thread; everything else belongs to the engine thread.
 */
public final class Scheduler {
    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());

    /** Tokens {@code [start, start + count)} of a sequence in this step; a decode chunk is its one new token. */
    private record Chunk(Sequence sequence, int start, int count, boolean decode) {
        boolean reachesEnd() {
            return start + count == sequence.length();
        }
    }

    private final ModelRunner model;
    private final KvCacheManager kv;
    private final int vocabSize;
    private final SchedulerConfig config;
    private final LongSupplier clock;
    private final WaitingQueue waiting;
    private final ArrayDeque<Sequence> preempted = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();

    public Scheduler(ModelRunner model, KvCacheManager kv, int vocabSize, SchedulerConfig config, LongSupplier nanoClock) {
        this.model = model;
        this.kv = kv;
        this.vocabSize = vocabSize;
        this.config = config;
        this.clock = nanoClock;
        this.waiting = new WaitingQueue(config.maxQueuedRequests());
    }

    public SchedulerConfig config() {
        return config;
    }

    public KvCacheManager kvCacheManager() {
        return kv;
    }

    /**
     * Queues a new sequence for admission; any thread. Returns false, leaving it out, when
     * {@code maxQueuedRequests} sequences are already waiting.
     *
     * @throws IllegalStateException after {@link #shutdown()}
     */
    public boolean submit(Sequence sequence) {
        if (sequence.status() != Sequence.Status.WAITING || sequence.submittedNanos() != 0) {
            throw new IllegalArgumentException(sequence + " was already submitted");
        }
        sequence.submitted(clock.getAsLong());
        return waiting.offer(sequence);
    }

    /** Ends the sequence at the next step boundary (its blocks are freed then); any thread. */
    public void cancel(Sequence sequence) {
        sequence.cancel();
        waiting.wake();
    }

    /** True when a step would do something. */
    public boolean hasWork() {
        return !running.isEmpty() || !preempted.isEmpty() || waiting.size() > 0;
    }

    /** Sleeps until work arrives, a cancellation is requested, or {@code nanos} pass. */
    public void awaitWork(long nanos) throws InterruptedException {
        waiting.awaitWork(nanos);
    }

    /** Wakes a thread blocked in {@link #awaitWork}. */
    public void wake() {
        waiting.wake();
    }

    /** Requests waiting for admission, preempted sequences included. */
    public int queueDepth() {
        return waiting.size() + preempted.size();
    }

    public int runningCount() {
        return running.size();
    }

    /** One scheduling step and its forward pass (see the class comment). */
    public StepResult step() {
        long now = clock.getAsLong();
        int ended = endCancelledAndExpired(now);

        List<Chunk> chunks = new ArrayList<>();
        int budget = config.maxBatchPrefillTokens();
        int preemptions = 0;
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            int remaining = s.length() - s.computedTokens();
            boolean decode = remaining == 1 && s.computedTokens() >= s.promptLength();
            int n = decode ? 1 : Math.min(remaining, budget);
            if (n == 0) continue;
            boolean fits = true;
            while (!kv.allocateSlots(s.table(), s.computedTokens() + n)) {
                Sequence victim = running.removeLast();
                preempt(victim);
                preemptions++;
                if (victim == s) {
                    fits = false;
                    break;
                }
            }
            if (!fits) break;
            if (!decode) budget -= n;
            chunks.add(new Chunk(s, s.computedTokens(), n, decode));
        }
        if (preemptions == 0) budget = admit(chunks, budget, now);
        if (chunks.isEmpty()) return new StepResult(0, 0, 0, preemptions, ended, 0);
        return run(chunks, preemptions, ended);
    }

    private int endCancelledAndExpired(long now) {
        int ended = 0;
        for (Sequence s : new ArrayList<>(running)) {
            if (s.isCancelRequested()) {
                end(s, SequenceEnd.of(SequenceEnd.Kind.CANCELLED));
                ended++;
            }
        }
        for (Sequence s : new ArrayList<>(preempted)) {
            if (s.isCancelRequested()) {
                end(s, SequenceEnd.of(SequenceEnd.Kind.CANCELLED));
                ended++;
            }
        }
        for (Sequence s : waiting.removeIf(Sequence::isCancelRequested)) {
            end(s, SequenceEnd.of(SequenceEnd.Kind.CANCELLED));
            ended++;
        }
        long timeout = config.queueTimeout().toNanos();
        for (Sequence s : waiting.removeIf(s -> now - s.submittedNanos() > timeout)) {
            end(s, new SequenceEnd(SequenceEnd.Kind.QUEUE_TIMEOUT, null, Duration.ofNanos(now - s.submittedNanos())));
            ended++;
        }
        return ended;
    }

    /** Admits waiting sequences FIFO, preempted ones first; returns the prefill budget left. */
    private int admit(List<Chunk> chunks, int budget, long now) {
        while (running.size() < config.maxConcurrentSequences() && budget > 0) {
            boolean resumed = !preempted.isEmpty();
            Sequence s = resumed ? preempted.peekFirst() : waiting.peek();
            if (s == null) break;
            // Reuse cached full blocks, but compute at least the last token: its logits pick the next one.
            int reused = kv.getComputedBlocks(s.table(), s.tokenArray(), s.length() - 1);
            int n = Math.min(s.length() - reused, budget);
            if (!kv.allocateSlotsToAdmit(s.table(), reused + n, running.size())) {
                kv.free(s.table());
                break;
            }
            if (resumed) preempted.removeFirst(); else waiting.removeHead(s);
            if (!resumed) kv.recordPrefixLookup(s.length() - 1, reused);
            s.admitted(now, reused);
            running.add(s);
            chunks.add(new Chunk(s, reused, n, false));
            budget -= n;
        }
        return budget;
    }

    private StepResult run(List<Chunk> chunks, int preemptions, int ended) {
        int prefill = 0, decode = 0;
        for (Chunk c : chunks) {
            if (c.decode()) decode++;
            else prefill += c.count();
        }
        long start = clock.getAsLong();
        float[][] rows = new float[chunks.size()][];
        Throwable[] failures = new Throwable[chunks.size()];
        forward(chunks, rows, failures);
        long now = clock.getAsLong();
        int sampled = 0;
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            Sequence s = c.sequence();
            if (failures[i] != null) {
                end(s, SequenceEnd.failed(failures[i]));
                ended++;
                continue;
            }
            s.computed(c.count());
            kv.cacheComputedBlocks(s.table(), s.tokenArray(), s.computedTokens());
            if (!c.reachesEnd()) continue;
            SequenceEnd end;
            try {
                NonFiniteLogitsException.requireFinite(rows[i], 0, vocabSize);
                int token = s.callbacks().nextToken(rows[i]);
                if (token < 0 || token >= vocabSize) {
                    throw new IllegalStateException("sampled token " + token + " is outside the vocabulary [0, " + vocabSize + ")");
                }
                s.append(token, now);
                sampled++;
                boolean stop = s.callbacks().onToken(s, token);
                end = stop ? SequenceEnd.of(SequenceEnd.Kind.STOPPED)
                        : s.generatedCount() >= s.maxNewTokens() ? SequenceEnd.of(SequenceEnd.Kind.LENGTH) : null;
            } catch (Throwable e) { // this sequence's own code (sampling, constraint, listener): even an Error is its alone
                end = SequenceEnd.failed(e);
            }
            if (end != null) {
                end(s, end);
                ended++;
            }
        }
        return new StepResult(prefill, decode, sampled, preemptions, ended, now - start);
    }

    /**
     * The forward pass over the chunks: each chunk that reaches its end gets its logits row in {@code rows}.
     * When the pass over several sequences fails, each is run alone, so that only a sequence whose own pass fails
     * gets a failure (an {@code OutOfMemoryError} of a large batch, or an input only one request has, must not
     * fail the whole batch); a chunk's keys and values are rewritten by its rerun.
     */
    private void forward(List<Chunk> chunks, float[][] rows, Throwable[] failures) {
        try {
            float[] logits = forward(chunks);
            int row = 0;
            for (int i = 0; i < chunks.size(); i++) {
                if (chunks.get(i).reachesEnd()) rows[i] = Arrays.copyOfRange(logits, row * vocabSize, ++row * vocabSize);
            }
            return;
        } catch (RuntimeException | Error e) {
            if (chunks.size() == 1) {
                LOG.log(System.Logger.Level.WARNING, () -> "forward pass failed; failing its sequence: " + e);
                failures[0] = e;
                return;
            }
            LOG.log(System.Logger.Level.WARNING, () -> "forward pass of " + chunks.size()
                    + " sequences failed (" + e + "); running each alone to fail only those that fail alone");
        }
        for (int i = 0; i < chunks.size(); i++) {
            try {
                float[] logits = forward(List.of(chunks.get(i)));
                if (chunks.get(i).reachesEnd()) rows[i] = Arrays.copyOf(logits, vocabSize);
            } catch (RuntimeException | Error e) {
                failures[i] = e;
            }
        }
    }

    private float[] forward(List<Chunk> chunks) {
        int total = 0;
        for (Chunk c : chunks) total += c.count();
        int[] tokens = new int[total], positions = new int[total];
        BlockTable[] tables = new BlockTable[total];
        boolean[] want = new boolean[total];
        int t = 0;
        for (Chunk c : chunks) {
            int[] ids = c.sequence().tokenArray();
            for (int i = 0; i < c.count(); i++, t++) {
                tokens[t] = ids[c.start() + i];
                positions[t] = c.start() + i;
                tables[t] = c.sequence().table();
            }
            want[t - 1] = c.reachesEnd();
        }
        return model.forward(new ForwardBatch(tokens, positions, tables, want));
    }

    private void preempt(Sequence victim) {
        kv.free(victim.table());
        victim.preempted();
        preempted.addFirst(victim); // victims leave from the tail of running, so earlier ones end up first
        LOG.log(System.Logger.Level.DEBUG, () -> "preempted " + victim + "; " + kv.freeBlocks() + " blocks free");
    }

    private void end(Sequence s, SequenceEnd end) {
        running.remove(s);
        preempted.remove(s);
        kv.free(s.table());
        s.ended();
        try {
            s.callbacks().onEnd(s, end);
        } catch (Throwable e) { // the sequence's own code: whatever it throws ends nothing but it
            LOG.log(System.Logger.Level.WARNING, "onEnd of " + s + " threw; ignored", e);
        }
    }

    /**
     * Ends every sequence with {@link SequenceEnd.Kind#SHUTDOWN} and refuses new ones. Engine thread (or after it
     * stopped).
     */
    public void shutdown() {
        List<Sequence> waitingNow = waiting.closeAndDrain();
        for (Sequence s : new ArrayList<>(running)) end(s, SequenceEnd.of(SequenceEnd.Kind.SHUTDOWN));
        for (Sequence s : new ArrayList<>(preempted)) end(s, SequenceEnd.of(SequenceEnd.Kind.SHUTDOWN));
        for (Sequence s : waitingNow) end(s, SequenceEnd.of(SequenceEnd.Kind.SHUTDOWN));
    }

    /**
     * The KV accounting agrees with the sequences: the cache's own invariants hold, only running sequences hold
     * blocks, and every reference count equals the number of running tables that hold the block.
     */
    public void checkInvariants() {
        kv.checkInvariants();
        int[] refs = new int[kv.capacity()];
        for (Sequence s : running) {
            BlockTable table = s.table();
            if (table.length() < s.computedTokens()) throw new IllegalStateException(s + " computed more than its table holds: " + table);
            for (int b = 0; b < table.blockCount(); b++) refs[table.block(b)]++;
        }
        for (Sequence s : preempted) {
            if (s.table().blockCount() != 0) throw new IllegalStateException("preempted " + s + " still holds blocks");
        }
        for (int id = 0; id < refs.length; id++) {
            if (refs[id] != kv.refCount(id)) {
                throw new IllegalStateException("block " + id + " has reference count " + kv.refCount(id) + " but " + refs[id] + " running tables hold it");
            }
        }
    }
}
