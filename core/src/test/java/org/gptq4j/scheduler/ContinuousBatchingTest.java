package org.gptq4j.scheduler;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Outputs under continuous batching equal outputs alone: golden logits in mixed batches, greedy runs, preemption. */
class ContinuousBatchingTest {
    static TinyModel tiny;

    @BeforeAll
    static void load() {
        tiny = new TinyModel();
    }

    @AfterAll
    static void close() {
        tiny.close();
    }

    /** A teacher-forced request over a golden sequence starting with {@code promptLength} of its ids. */
    record Forced(TinyModel.Golden golden, int promptLength, Recorder recorder, Sequence sequence) {
        static Forced of(TinyModel.Golden g, int promptLength) {
            int last = Arrays.stream(g.positions()).max().orElseThrow();
            Recorder r = Recorder.teacherForced(i -> g.ids()[Math.min(promptLength + i, g.ids().length - 1)]);
            // logits of position p arrive with generated token p - promptLength + 1
            return new Forced(g, promptLength, r, new Sequence(Arrays.copyOf(g.ids(), promptLength), last - promptLength + 2, r));
        }

        /** Compares the logits recorded at every golden position from the prompt's last one on; returns how many. */
        int check(String name) {
            int compared = 0;
            for (int i = 0; i < golden.positions().length; i++) {
                int p = golden.positions()[i];
                if (p < promptLength - 1) continue;
                TinyModel.assertClose(recorder.logits.get(p - promptLength + 1), golden.logits()[i], name + " position " + p);
                compared++;
            }
            return compared;
        }
    }

    @ParameterizedTest(name = "prefix caching {0}")
    @ValueSource(booleans = {false, true})
    void logitsOfEverySequenceInAMixedBatchMatchTheGoldenFiles(boolean prefixCaching) {
        List<TinyModel.Golden> golden = TinyModel.Golden.read("main");
        TinyModel.Golden g0 = golden.get(0), g1 = golden.get(1);
        try (TinyModel.Kv cache = tiny.cache(8, 96, prefixCaching)) {
            Scheduler s = tiny.scheduler(cache, 16, 8); // prompts of 40 and 57 tokens are prefilled in chunks
            for (int wave = 0; wave < (prefixCaching ? 2 : 1); wave++) {
                List<Forced> requests = List.of(Forced.of(g0, 1), Forced.of(g1, 40), Forced.of(g0, 20), Forced.of(g1, 1), Forced.of(g1, 57));
                for (Forced f : requests) assertThat(s.submit(f.sequence())).isTrue();
                int steps = TinyModel.drain(s);
                assertThat(steps).as("sequences shared steps").isLessThan(requests.stream().mapToInt(f -> f.recorder().logits.size()).sum());
                int compared = 0;
                for (Forced f : requests) {
                    assertThat(f.recorder().end.kind()).isEqualTo(SequenceEnd.Kind.LENGTH);
                    compared += f.check("wave " + wave + " prompt " + f.promptLength());
                }
                assertThat(compared).isGreaterThan(100);
                assertThat(cache.manager().usedBlocks()).isZero();
            }
            if (prefixCaching) {
                assertThat(cache.manager().prefixCache().hitTokens()).as("the second wave reused the first wave's blocks").isGreaterThan(0);
                assertThat(cache.manager().prefixCache().hitRate()).isBetween(0.01, 1.0);
            }
        }
    }

    @Test
    void prefixCacheHitsGiveTheLogitsOfAColdRunAndAreCounted() {
        Random random = new Random(11);
        int[] system = TinyModel.randomPrompt(random, 37, tiny.vocab);
        int[] first = concat(system, TinyModel.randomPrompt(random, 5, tiny.vocab));
        int[] second = concat(system, TinyModel.randomPrompt(random, 9, tiny.vocab));
        Recorder cold = Recorder.greedy();
        try (TinyModel.Kv cache = tiny.cache(8, 32, false)) {
            Scheduler s = tiny.scheduler(cache, 64, 4);
            s.submit(new Sequence(second, 4, cold));
            TinyModel.drain(s);
        }
        try (TinyModel.Kv cache = tiny.cache(8, 32, true)) {
            Scheduler s = tiny.scheduler(cache, 64, 4);
            s.submit(new Sequence(first, 4, Recorder.greedy()));
            TinyModel.drain(s);
            Recorder warm = Recorder.greedy();
            Sequence hit = new Sequence(second, 4, warm);
            s.submit(hit);
            TinyModel.drain(s);
            assertThat(hit.cachedPromptTokens()).as("the 4 full blocks of the shared 37 tokens").isEqualTo(32);
            for (int i = 0; i < 4; i++) TinyModel.assertClose(warm.logits.get(i), cold.logits.get(i), "token " + i);
            assertThat(warm.tokens()).containsExactly(cold.tokens());
            // looked up: 41 + 45 prompt tokens (all but the last of each); reused: 32
            assertThat(cache.manager().prefixCache().queriedTokens()).isEqualTo(first.length - 1 + second.length - 1);
            assertThat(cache.manager().prefixCache().hitTokens()).isEqualTo(32);
            assertThat(cache.manager().prefixCache().hitRate()).isEqualTo(32.0 / (first.length - 1 + second.length - 1));
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void eightConcurrentGreedyRequestsEqualTheirSoloRuns() {
        Random random = new Random(8);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 8; i++) prompts.add(TinyModel.randomPrompt(random, 1 + random.nextInt(40), tiny.vocab));
        List<Recorder> recorders = new ArrayList<>();
        try (TinyModel.Kv cache = tiny.cache(8, 128, false)) {
            Scheduler s = tiny.scheduler(cache, 24, 8);
            int maxBatch = 0;
            for (int[] p : prompts) {
                Recorder r = Recorder.greedy();
                recorders.add(r);
                s.submit(new Sequence(p, 16, r));
            }
            while (s.hasWork()) {
                StepResult step = s.step();
                s.checkInvariants();
                assertThat(step.prefillTokens()).isLessThanOrEqualTo(24);
                maxBatch = Math.max(maxBatch, s.runningCount());
            }
            assertThat(maxBatch).isEqualTo(8);
        }
        for (int i = 0; i < 8; i++) {
            assertThat(recorders.get(i).tokens()).as("request %d", i).containsExactly(tiny.soloGreedy(prompts.get(i), 16));
        }
    }

    @Test
    void preemptedSequencesResumeWithIdenticalOutput() {
        Random random = new Random(3);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) prompts.add(TinyModel.randomPrompt(random, 10, tiny.vocab));
        List<Recorder> recorders = new ArrayList<>();
        List<Sequence> sequences = new ArrayList<>();
        // 4 sequences of 30 tokens need 32 blocks of 4; the pool has 14, so later ones are preempted.
        try (TinyModel.Kv cache = tiny.cache(4, 14, false)) {
            Scheduler s = tiny.scheduler(cache, 64, 4);
            int preemptions = 0;
            for (int[] p : prompts) {
                Recorder r = Recorder.greedy();
                Sequence seq = new Sequence(p, 20, r);
                recorders.add(r);
                sequences.add(seq);
                s.submit(seq);
            }
            while (s.hasWork()) {
                preemptions += s.step().preemptions();
                s.checkInvariants();
            }
            assertThat(preemptions).isGreaterThan(0);
            assertThat(sequences.stream().mapToInt(Sequence::preemptions).sum()).isEqualTo(preemptions);
            assertThat(cache.manager().usedBlocks()).isZero();
        }
        for (int i = 0; i < 4; i++) {
            assertThat(recorders.get(i).end.kind()).isEqualTo(SequenceEnd.Kind.LENGTH);
            assertThat(recorders.get(i).tokens()).as("request %d", i).containsExactly(tiny.soloGreedy(prompts.get(i), 20));
        }
    }

    @Test
    void concurrencyLimitKeepsTheRestWaitingInOrder() {
        try (TinyModel.Kv cache = tiny.cache(8, 64, false)) {
            Scheduler s = tiny.scheduler(cache, 64, 2);
            List<Sequence> seqs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Sequence seq = new Sequence(new int[]{5 + i, 6, 7}, 3, Recorder.greedy());
                seqs.add(seq);
                s.submit(seq);
            }
            s.step();
            assertThat(s.runningCount()).isEqualTo(2);
            assertThat(s.queueDepth()).isEqualTo(3);
            assertThat(seqs.get(0).status()).isEqualTo(Sequence.Status.RUNNING);
            assertThat(seqs.get(2).status()).isEqualTo(Sequence.Status.WAITING);
            while (s.hasWork()) {
                s.step();
                assertThat(s.runningCount()).isLessThanOrEqualTo(2);
            }
            // FIFO: each started no later than the one after it
            for (int i = 0; i + 1 < seqs.size(); i++) {
                assertThat(seqs.get(i).firstScheduledNanos()).isLessThanOrEqualTo(seqs.get(i + 1).firstScheduledNanos());
            }
        }
    }
}
