package org.gptq4j.scheduler;

import org.gptq4j.model.NonFiniteLogitsException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Cancellation, failures, queue bounds and timeouts, and a randomized run checking the KV accounting every step. */
class SchedulerLifecycleTest {
    static TinyModel tiny;

    @BeforeAll
    static void load() {
        tiny = new TinyModel();
    }

    @AfterAll
    static void close() {
        tiny.close();
    }

    @Test
    void cancellingFreesBlocksAtTheNextStepAndLeavesOthersUndisturbed() {
        int[] a = {5, 6, 7, 8, 9}, b = {11, 12, 13};
        try (TinyModel.Kv cache = tiny.cache(4, 32, false)) {
            Scheduler s = tiny.scheduler(cache, 64, 4);
            Recorder ra = Recorder.greedy(), rb = Recorder.greedy();
            Sequence sa = new Sequence(a, 20, ra), sb = new Sequence(b, 20, rb);
            s.submit(sa);
            s.submit(sb);
            for (int i = 0; i < 6; i++) s.step();
            int held = sa.table().blockCount();
            int used = cache.manager().usedBlocks();
            assertThat(held).isGreaterThan(0);
            s.cancel(sa);
            s.step();
            s.checkInvariants();
            assertThat(ra.end.kind()).isEqualTo(SequenceEnd.Kind.CANCELLED);
            assertThat(sa.table().blockCount()).isZero();
            assertThat(cache.manager().usedBlocks()).isLessThanOrEqualTo(used - held + 1);
            TinyModel.drain(s);
            assertThat(rb.tokens()).containsExactly(tiny.soloGreedy(b, 20));
            assertThat(cache.manager().usedBlocks()).isZero();
        }
    }

    @Test
    void aThrowingCallbackFailsOnlyItsOwnSequence() {
        int[] a = {5, 6, 7, 8, 9}, b = {11, 12, 13};
        try (TinyModel.Kv cache = tiny.cache(4, 32, false)) {
            Scheduler s = tiny.scheduler(cache, 64, 4);
            Recorder ra = Recorder.greedy(), rb = Recorder.greedy();
            ra.throwAtToken = 3;
            s.submit(new Sequence(a, 12, ra));
            s.submit(new Sequence(b, 12, rb));
            TinyModel.drain(s);
            assertThat(ra.end.kind()).isEqualTo(SequenceEnd.Kind.FAILED);
            assertThat(ra.end.error()).hasMessageContaining("listener failure");
            assertThat(rb.end.kind()).isEqualTo(SequenceEnd.Kind.LENGTH);
            assertThat(rb.tokens()).containsExactly(tiny.soloGreedy(b, 12));
            assertThat(cache.manager().usedBlocks()).isZero();
        }
    }

    @Test
    void aFailedForwardPassFailsItsBatchAndTheSchedulerCarriesOn() {
        try (TinyModel.Kv cache = tiny.cache(4, 32, false)) {
            AtomicLong calls = new AtomicLong();
            ModelRunner flaky = batch -> {
                if (calls.incrementAndGet() == 3) throw new IllegalStateException("injected forward failure");
                return tiny.runner(cache).forward(batch);
            };
            Scheduler s = new Scheduler(flaky, cache.manager(), tiny.vocab, new SchedulerConfig(64, 4, 10, Duration.ofMinutes(1)), System::nanoTime);
            Recorder r1 = Recorder.greedy();
            s.submit(new Sequence(new int[]{1, 2, 3}, 8, r1));
            TinyModel.drain(s);
            assertThat(r1.end.kind()).isEqualTo(SequenceEnd.Kind.FAILED);
            assertThat(r1.end.error()).hasMessage("injected forward failure");
            Recorder r2 = Recorder.greedy();
            s.submit(new Sequence(new int[]{1, 2, 3}, 8, r2));
            TinyModel.drain(s);
            assertThat(r2.tokens()).containsExactly(tiny.soloGreedy(new int[]{1, 2, 3}, 8));
            assertThat(cache.manager().usedBlocks()).isZero();
        }
    }

    /**
     * An {@code OutOfMemoryError} or {@code StackOverflowError} raised while handling one sequence fails that
     * sequence only: the engine loop used to end on them, failing every request and closing the engine.
     */
    @Test
    void anErrorInOneSequencesCallbacksFailsOnlyThatSequence() {
        int[] a = {5, 6, 7, 8, 9}, b = {11, 12, 13}, c = {21, 22};
        try (TinyModel.Kv cache = tiny.cache(4, 32, false)) {
            Scheduler s = tiny.scheduler(cache, 64, 4);
            Recorder ra = Recorder.greedy(), rb = Recorder.greedy(), rc = Recorder.greedy();
            ra.throwAtToken = 2;
            ra.errorAtToken = new OutOfMemoryError("injected: Java heap space");
            rb.throwAtToken = 4;
            rb.errorAtToken = new StackOverflowError("injected");
            s.submit(new Sequence(a, 10, ra));
            s.submit(new Sequence(b, 10, rb));
            s.submit(new Sequence(c, 10, rc));
            TinyModel.drain(s);
            assertThat(ra.end.kind()).isEqualTo(SequenceEnd.Kind.FAILED);
            assertThat(ra.end.error()).isSameAs(ra.errorAtToken);
            assertThat(rb.end.kind()).isEqualTo(SequenceEnd.Kind.FAILED);
            assertThat(rb.end.error()).isSameAs(rb.errorAtToken);
            assertThat(rc.end.kind()).isEqualTo(SequenceEnd.Kind.LENGTH);
            assertThat(rc.tokens()).containsExactly(tiny.soloGreedy(c, 10));
            assertThat(cache.manager().usedBlocks()).isZero();
        }
    }

    /**
     * A forward pass that fails for one sequence's input (here an {@code OutOfMemoryError} whenever the batch holds
     * it) fails that sequence only: the batch is rerun a sequence at a time, and the others get exactly their solo
     * tokens.
     */
    @Test
    void aForwardPassFailingForOneSequenceFailsOnlyThatSequence() {
        int[] poisoned = {40, 41, 42, 43}, healthy = {5, 6, 7, 8, 9};
        try (TinyModel.Kv cache = tiny.cache(4, 32, false)) {
            Recorder rp = Recorder.greedy(), rh = Recorder.greedy();
            Sequence sp = new Sequence(poisoned, 8, rp), sh = new Sequence(healthy, 8, rh);
            AtomicLong batches = new AtomicLong();
            ModelRunner failsFor = batch -> {
                batches.incrementAndGet();
                for (var table : batch.tables()) {
                    if (table == sp.table()) throw new OutOfMemoryError("injected: this prompt's activations");
                }
                return tiny.runner(cache).forward(batch);
            };
            Scheduler s = new Scheduler(failsFor, cache.manager(), tiny.vocab, new SchedulerConfig(64, 4, 10, Duration.ofMinutes(1)), System::nanoTime);
            s.submit(sp);
            s.submit(sh);
            TinyModel.drain(s);
            assertThat(rp.end.kind()).isEqualTo(SequenceEnd.Kind.FAILED);
            assertThat(rp.end.error()).isInstanceOf(OutOfMemoryError.class).hasMessageContaining("injected");
            assertThat(rh.end.kind()).isEqualTo(SequenceEnd.Kind.LENGTH);
            assertThat(rh.tokens()).containsExactly(tiny.soloGreedy(healthy, 8));
            assertThat(batches.get()).as("the shared batch, each sequence alone, then the healthy one's 7 decode steps")
                    .isEqualTo(3 + 7);
            assertThat(cache.manager().usedBlocks()).isZero();
        }
    }

    /**
     * A NaN logit was reported by the sampler as an IllegalArgumentException ("logit of token 7 is NaN"), which a web
     * layer reads as the client's fault (400). It is the model's: a {@link NonFiniteLogitsException}, for that sequence only.
     */
    @Test
    void aNonFiniteLogitFailsItsSequenceAsAModelFault() {
        int[] a = {5, 6, 7, 8, 9}, b = {11, 12, 13};
        try (TinyModel.Kv cache = tiny.cache(4, 32, false)) {
            AtomicLong calls = new AtomicLong();
            ModelRunner overflowing = batch -> {
                float[] logits = tiny.runner(cache).forward(batch);
                if (calls.incrementAndGet() == 1) logits[7] = Float.NaN; // row 0: sequence a
                return logits;
            };
            Scheduler s = new Scheduler(overflowing, cache.manager(), tiny.vocab, new SchedulerConfig(64, 4, 10, Duration.ofMinutes(1)), System::nanoTime);
            Recorder ra = Recorder.greedy(), rb = Recorder.greedy();
            s.submit(new Sequence(a, 8, ra));
            s.submit(new Sequence(b, 8, rb));
            TinyModel.drain(s);
            assertThat(ra.end.kind()).isEqualTo(SequenceEnd.Kind.FAILED);
            assertThat(ra.end.error()).isInstanceOf(NonFiniteLogitsException.class).isNotInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("NaN", "token 7", "not of the request");
            assertThat(rb.tokens()).containsExactly(tiny.soloGreedy(b, 8));
            assertThat(cache.manager().usedBlocks()).isZero();
        }
    }

    @Test
    void theQueueIsBoundedAndWaitingTooLongEndsARequest() {
        AtomicLong now = new AtomicLong(1_000);
        try (TinyModel.Kv cache = tiny.cache(4, 32, false)) {
            Scheduler s = new Scheduler(tiny.runner(cache), cache.manager(), tiny.vocab, new SchedulerConfig(64, 1, 2, Duration.ofMillis(50)), now::get);
            Recorder running = Recorder.greedy(), waiting = Recorder.greedy();
            assertThat(s.submit(new Sequence(new int[]{1, 2}, 30, running))).isTrue();
            s.step(); // admitted: the queue is empty again
            assertThat(s.submit(new Sequence(new int[]{3, 4}, 5, waiting))).isTrue();
            assertThat(s.submit(new Sequence(new int[]{5, 6}, 5, Recorder.greedy()))).isTrue();
            assertThat(s.submit(new Sequence(new int[]{7, 8}, 5, Recorder.greedy()))).as("third waiting request").isFalse();
            assertThat(s.queueDepth()).isEqualTo(2);
            now.addAndGet(Duration.ofMillis(49).toNanos());
            s.step();
            assertThat(waiting.end).isNull();
            now.addAndGet(Duration.ofMillis(2).toNanos());
            s.step();
            assertThat(waiting.end.kind()).isEqualTo(SequenceEnd.Kind.QUEUE_TIMEOUT);
            assertThat(waiting.end.waited()).isEqualTo(Duration.ofMillis(51));
            assertThat(s.queueDepth()).isZero();
            assertThat(running.end).isNull();
            s.shutdown();
            assertThat(running.end.kind()).isEqualTo(SequenceEnd.Kind.SHUTDOWN);
            assertThat(cache.manager().usedBlocks()).isZero();
        }
    }

    /**
     * Many requests arriving over time with shared prefixes, a small pool (preemption), random cancellations,
     * throwing callbacks and failing forward passes: the accounting holds after every step, every sequence ends
     * exactly once, and every block is back in the pool at the end.
     */
    @Test
    void randomizedArrivalsCancellationsFailuresAndPreemptionsKeepTheAccountingExact() {
        Random random = new Random(20261126);
        int[] shared = TinyModel.randomPrompt(random, 24, tiny.vocab);
        try (TinyModel.Kv cache = tiny.cache(4, 40, true)) {
            AtomicLong calls = new AtomicLong();
            ModelRunner flaky = batch -> {
                if (calls.incrementAndGet() % 37 == 0) throw new IllegalStateException("injected forward failure");
                return tiny.runner(cache).forward(batch);
            };
            Scheduler s = new Scheduler(flaky, cache.manager(), tiny.vocab, new SchedulerConfig(12, 6, 1000, Duration.ofMinutes(5)), System::nanoTime);
            List<Sequence> all = new ArrayList<>();
            Map<Sequence, Recorder> recorders = new HashMap<>();
            int preemptions = 0, steps = 0;
            while (all.size() < 60 || s.hasWork()) {
                if (all.size() < 60 && random.nextInt(3) == 0) {
                    int[] prompt = random.nextBoolean()
                            ? concat(shared, TinyModel.randomPrompt(random, random.nextInt(10), tiny.vocab), random.nextInt(shared.length) + 1)
                            : TinyModel.randomPrompt(random, 1 + random.nextInt(30), tiny.vocab);
                    Recorder r = Recorder.greedy();
                    if (random.nextInt(8) == 0) r.throwAtToken = 1 + random.nextInt(5);
                    Sequence seq = new Sequence(prompt, 1 + random.nextInt(30), r);
                    recorders.put(seq, r);
                    all.add(seq);
                    s.submit(seq);
                }
                if (!all.isEmpty() && random.nextInt(10) == 0) s.cancel(all.get(random.nextInt(all.size())));
                preemptions += s.step().preemptions();
                s.checkInvariants();
                steps++;
                assertThat(steps).isLessThan(20_000);
            }
            assertThat(cache.manager().usedBlocks()).isZero();
            assertThat(cache.manager().freeBlocks()).isEqualTo(40);
            cache.manager().checkInvariants();
            Map<SequenceEnd.Kind, Integer> kinds = new HashMap<>();
            for (Sequence seq : all) {
                Recorder r = recorders.get(seq);
                assertThat(r.end).as("%s ended", seq).isNotNull();
                assertThat(seq.status()).isEqualTo(Sequence.Status.ENDED);
                kinds.merge(r.end.kind(), 1, Integer::sum);
            }
            assertThat(preemptions).as("preemptions").isGreaterThan(0);
            assertThat(kinds).containsKeys(SequenceEnd.Kind.LENGTH, SequenceEnd.Kind.CANCELLED, SequenceEnd.Kind.FAILED);
            assertThat(cache.manager().prefixCache().hitTokens()).isGreaterThan(0);
        }
    }

    private static int[] concat(int[] shared, int[] tail, int sharedLength) {
        int[] out = new int[sharedLength + tail.length];
        System.arraycopy(shared, 0, out, 0, sharedLength);
        System.arraycopy(tail, 0, out, sharedLength, tail.length);
        return out.length == 0 ? new int[]{1} : out;
    }
}
