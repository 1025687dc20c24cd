package org.gptq4j.sampling;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SamplerTest {

    private static final int VOCAB = 55_296;
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private static SamplingParameters.Builder sampling() {
        return SamplingParameters.builder().seed(1234L);
    }

    private static Sampler sampler(SamplingParameters.Builder builder, int vocabSize) {
        return new Sampler(builder.build(), vocabSize);
    }

    /** Logits whose softmax is exactly {@code probabilities} (natural logs). */
    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.log(probabilities[i]);
        return logits;
    }

    /** softmax(logits / temperature) in double. */
    private static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    private static int[] draws(Sampler sampler, float[] logits, int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = sampler.next(logits.clone(), new TokenHistory());
        return ids;
    }

    @Nested
    class Greedy {

        @Test
        void picksTheArgmax() {
            Sampler greedy = new Sampler(SamplingParameters.greedy(), 5);
            assertThat(greedy.next(new float[] {0.1f, -3f, 7.5f, 7.4f, NEG_INF}, new TokenHistory())).isEqualTo(2);
        }

        @Test
        void breaksTiesTowardsTheLowestId() {
            Sampler greedy = new Sampler(SamplingParameters.greedy(), 6);
            assertThat(greedy.next(new float[] {1f, 4f, 2f, 4f, 4f, 3f}, new TokenHistory())).isEqualTo(1);
            assertThat(greedy.next(new float[] {NEG_INF, 0f, -0f, 0f, NEG_INF, -1f}, new TokenHistory())).isEqualTo(1);
        }

        @Test
        void matchesAReferenceArgmaxOverAFullVocabulary() {
            Random random = new Random(3);
            Sampler greedy = new Sampler(SamplingParameters.greedy(), VOCAB);
            for (int round = 0; round < 5; round++) {
                float[] logits = new float[VOCAB];
                for (int i = 0; i < VOCAB; i++) logits[i] = (float) (random.nextGaussian() * 5);
                int expected = 0;
                for (int i = 1; i < VOCAB; i++) if (logits[i] > logits[expected]) expected = i;
                assertThat(greedy.next(logits, new TokenHistory())).isEqualTo(expected);
            }
        }

        @Test
        void comesAfterThePenalties() {
            SamplingParameters params = SamplingParameters.greedy().toBuilder().repetitionPenalty(1.1).build();
            // 2.0 / 1.1 = 1.818 < 1.9: the penalised id 0 loses to id 1.
            assertThat(new Sampler(params, 2).next(new float[] {2.0f, 1.9f}, new TokenHistory(0))).isEqualTo(1);
            assertThat(new Sampler(SamplingParameters.greedy(), 2).next(new float[] {2.0f, 1.9f}, new TokenHistory(0)))
                    .isZero();
        }

        @Test
        void ignoresTheFiltersAndNeverDraws() {
            SamplingParameters params = SamplingParameters.greedy().toBuilder().topK(1).topP(0.1).minP(0.9).build();
            Sampler greedy = new Sampler(params, 3);
            for (int i = 0; i < 50; i++) {
                assertThat(greedy.next(new float[] {0f, 0.01f, 0f}, new TokenHistory())).isEqualTo(1);
            }
        }
    }

    @Nested
    class Penalties {

        @Test
        void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerDistinctId() {
            Sampler sampler = sampler(sampling().repetitionPenalty(1.5), 5);
            TokenHistory history = new TokenHistory(0, 1, 0);
            history.add(1);
            history.add(0);   // id 0 three times, id 1 twice: still penalised once each
            float[] logits = {2.0f, -1.0f, 0.5f, 3.0f, -0.5f};
            sampler.applyPenalties(logits, history);
            // transformers: torch.where(score < 0, score * penalty, score / penalty) on gathered ids.
            assertThat(logits).containsExactly(2.0f / 1.5f, -1.5f, 0.5f, 3.0f, -0.5f);
            assertThat(logits[0]).isCloseTo(1.3333334f, within(1e-7f));
        }

        @Test
        void repetitionPenaltyCoversThePromptAndLeavesZeroAndInfinitiesAlone() {
            Sampler sampler = sampler(sampling().repetitionPenalty(2.0), 4);
            float[] logits = {0f, NEG_INF, Float.POSITIVE_INFINITY, 8f};
            sampler.applyPenalties(logits, new TokenHistory(0, 1, 2, 3));
            assertThat(logits).containsExactly(0f, NEG_INF, Float.POSITIVE_INFINITY, 4f);
        }

        @Test
        void frequencyAndPresencePenaltiesCountOnlyGeneratedTokens() {
            Sampler sampler = sampler(sampling().frequencyPenalty(0.5).presencePenalty(0.25), 4);
            TokenHistory history = new TokenHistory(3, 3);   // prompt-only id 3 is not penalised
            history.add(0);
            history.add(0);
            history.add(1);
            float[] logits = {1f, 1f, 1f, 1f};
            sampler.applyPenalties(logits, history);
            // logit -= count * frequency + (count > 0) * presence
            assertThat(logits).containsExactly(1 - (2 * 0.5f + 0.25f), 1 - (0.5f + 0.25f), 1f, 1f);
        }

        @Test
        void negativePenaltiesEncourageRepeats() {
            Sampler sampler = sampler(sampling().frequencyPenalty(-1).presencePenalty(-0.5), 2);
            TokenHistory history = new TokenHistory();
            history.add(1);
            float[] logits = {0f, 0f};
            sampler.applyPenalties(logits, history);
            assertThat(logits).containsExactly(0f, 1.5f);
        }

        @Test
        void repetitionPenaltyComesBeforeFrequencyPenalty() {
            Sampler sampler = sampler(sampling().repetitionPenalty(2.0).frequencyPenalty(1.0), 2);
            TokenHistory history = new TokenHistory();
            history.add(0);
            history.add(1);
            float[] logits = {2f, -1f};
            sampler.applyPenalties(logits, history);
            // (2 / 2) - 1 = 0 and (-1 * 2) - 1 = -3; the other order would give 0.5 and -4.
            assertThat(logits).containsExactly(0f, -3f);
        }

        @Test
        void nextPenalisesInPlaceOnlyTheIdsOfTheHistory() {
            Sampler sampler = sampler(sampling().repetitionPenalty(1.3).presencePenalty(0.4).topK(3), 6);
            float[] logits = {1f, 2f, 3f, 4f, 5f, 6f};
            TokenHistory history = new TokenHistory(4);
            history.add(1);
            sampler.next(logits, history);
            assertThat(logits).containsExactly(1f, (float) (2f / 1.3f - 0.4), 3f, 4f, 5f / 1.3f, 6f);
        }

        @Test
        void historyIdOutsideTheVocabularyIsAnError() {
            Sampler sampler = sampler(sampling().repetitionPenalty(1.1), 4);
            assertThatThrownBy(() -> sampler.next(new float[4], new TokenHistory(1, 9)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9");
        }
    }

    @Nested
    class Filters {

        // Probabilities 0.5, 0.3, 0.15, 0.05 at ids 1, 3, 0, 2.
        private final double[] probabilities = {0.15, 0.5, 0.05, 0.3};

        private int[] kept(SamplingParameters.Builder builder, float[] logits) {
            return sampler(builder, logits.length).candidateIds(logits, new TokenHistory());
        }

        @Test
        void topKKeepsTheKHighestLogits() {
            float[] logits = {1f, 4f, 3f, 5f, 2f, 0f};
            assertThat(kept(sampling().topK(2), logits)).containsExactly(1, 3);
            assertThat(kept(sampling().topK(3), logits)).containsExactly(1, 2, 3);
            assertThat(kept(sampling().topK(1), logits)).containsExactly(3);
            assertThat(kept(sampling().topK(6), logits)).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(kept(sampling().topK(100), logits)).containsExactly(0, 1, 2, 3, 4, 5);
        }

        @Test
        void topKKeepsEveryTokenTiedWithTheKth() {
            // transformers removes only scores < the k-th largest.
            assertThat(kept(sampling().topK(1), new float[] {1f, 4f, 3f, 4f})).containsExactly(1, 3);
            assertThat(kept(sampling().topK(2), new float[] {2f, 5f, 2f, 1f, 2f})).containsExactly(0, 1, 2, 4);
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 40, 1000, 30_000})
        void topKMatchesAReferenceOverAFullVocabulary(int k) {
            Random random = new Random(k);
            float[] logits = new float[VOCAB];
            // Rounded to 1/8 so that ties occur.
            for (int i = 0; i < VOCAB; i++) logits[i] = Math.round(random.nextGaussian() * 40) / 8f;
            float[] sortedDescending = logits.clone();
            Arrays.sort(sortedDescending);
            float kth = sortedDescending[VOCAB - k];
            int[] expected = IntStream.range(0, VOCAB).filter(i -> logits[i] >= kth).toArray();
            assertThat(kept(sampling().topK(k), logits)).containsExactly(expected);
        }

        @Test
        void topPKeepsTheSmallestSetReachingP() {
            float[] logits = logitsOf(probabilities);
            assertThat(kept(sampling().topP(0.8), logits)).containsExactly(1, 3);
            assertThat(kept(sampling().topP(0.81), logits)).containsExactly(0, 1, 3);
            assertThat(kept(sampling().topP(0.5), logits)).containsExactly(1);
            assertThat(kept(sampling().topP(0.96), logits)).containsExactly(0, 1, 2, 3);
            assertThat(kept(sampling().topP(1.0), logits)).containsExactly(0, 1, 2, 3);
        }

        @ParameterizedTest
        @ValueSource(doubles = {0.05, 0.5, 0.9, 0.99, 0.999})
        void topPMatchesASortingReferenceOverAFullVocabulary(double topP) {
            Random random = new Random(Double.hashCode(topP));
            float[] logits = new float[VOCAB];
            for (int i = 0; i < VOCAB; i++) logits[i] = Math.round(random.nextGaussian() * 24) / 8f;
            double temperature = 0.8;
            double[] p = softmax(logits, temperature);
            // transformers: sort descending, keep through the first cumulative probability >= top_p.
            Integer[] order = IntStream.range(0, VOCAB).boxed().toArray(Integer[]::new);
            Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
            double cumulative = 0;
            int last = 0;
            while (cumulative < topP - Candidates.TOP_P_TOLERANCE) cumulative += p[order[last++]];
            float boundary = logits[order[Math.max(last, 1) - 1]];
            int[] expected = IntStream.range(0, VOCAB).filter(i -> logits[i] >= boundary).toArray();
            assertThat(kept(sampling().temperature(temperature).topP(topP), logits)).containsExactly(expected);
        }

        @ParameterizedTest(name = "top_p {0} over {1} keeps {2}")
        @CsvSource(delimiter = ';', value = {
                "0.9; 0.7 0.2 0.1; 2", "0.9; 0.6 0.3 0.1; 2", "0.7; 0.4 0.3 0.2 0.1; 2", "0.9; 0.4 0.3 0.2 0.1; 3",
                "0.6; 0.3 0.2 0.1 0.4; 2", "0.95; 0.55 0.25 0.15 0.05; 3",
                // Float logits put these cumulative sums about 1e-9 below top_p:
                "0.45; 0.45 0.35 0.2; 1", "0.4; 0.4 0.3 0.2 0.1; 1"})
        void topPBoundaryExactInDecimalIsNotDecidedByRounding(double topP, String probabilities, int expectedSize) {
            double[] p = Arrays.stream(probabilities.split(" ")).mapToDouble(Double::parseDouble).toArray();
            assertThat(kept(sampling().topP(topP), logitsOf(p))).hasSize(expectedSize);
        }

        @Test
        void topPAlwaysKeepsTheTopToken() {
            assertThat(kept(sampling().topP(1e-9), logitsOf(probabilities))).containsExactly(1);
        }

        @Test
        void topPSeesTheTemperatureScaledDistribution() {
            // T = 2: probabilities ~ sqrt(p) = 0.379, 0.294, 0.208, 0.120; 0.379 + 0.294 < 0.8.
            assertThat(kept(sampling().temperature(2).topP(0.8), logitsOf(probabilities))).containsExactly(0, 1, 3);
        }

        @Test
        void topPRenormalisesAfterTopK() {
            // After top-k 3: 0.5 / 0.95 + 0.3 / 0.95 = 0.842 >= 0.83; over all four, 0.8 < 0.83.
            float[] logits = logitsOf(probabilities);
            assertThat(kept(sampling().topK(3).topP(0.83), logits)).containsExactly(1, 3);
            assertThat(kept(sampling().topP(0.83), logits)).containsExactly(0, 1, 3);
        }

        @Test
        void minPDropsTokensBelowAFractionOfTheTopProbability() {
            float[] logits = logitsOf(probabilities);
            assertThat(kept(sampling().minP(0.2), logits)).containsExactly(0, 1, 3);     // threshold 0.1
            assertThat(kept(sampling().minP(0.5), logits)).containsExactly(1, 3);        // threshold 0.25
            assertThat(kept(sampling().minP(1.0), logits)).containsExactly(1);
            assertThat(kept(sampling().minP(0.0), logits)).containsExactly(0, 1, 2, 3);
        }

        @Test
        void minPSeesTheTemperatureScaledDistribution() {
            // T = 0.5: p^2 relative to the top = 1, 0.36, 0.09, 0.01.
            assertThat(kept(sampling().temperature(0.5).minP(0.2), logitsOf(probabilities))).containsExactly(1, 3);
        }

        @Test
        void minPComesAfterTopP() {
            // top-p 0.81 keeps {0.5, 0.3, 0.15}; min-p 0.4 then drops 0.15 (< 0.2).
            assertThat(kept(sampling().topP(0.81).minP(0.4), logitsOf(probabilities))).containsExactly(1, 3);
        }

        @Test
        void minusInfinityIsNeverACandidate() {
            assertThat(kept(sampling(), new float[] {NEG_INF, 0f, NEG_INF, -50f})).containsExactly(1, 3);
        }
    }

    @Nested
    class Drawing {

        private final float[] logits = {1.0f, 0.5f, 0.0f, -1.0f, 2.0f};

        @Test
        void aSeededRunIsReproducible() {
            float[] flat = new float[10];
            assertThat(draws(sampler(sampling().seed(7L), 10), flat, 100))
                    .containsExactly(draws(sampler(sampling().seed(7L), 10), flat, 100));
        }

        @Test
        void differentSeedsGiveDifferentRuns() {
            float[] flat = new float[10];
            assertThat(draws(sampler(sampling().seed(7L), 10), flat, 100))
                    .isNotEqualTo(draws(sampler(sampling().seed(8L), 10), flat, 100));
        }

        @Test
        void anUnseededSamplerDraws() {
            Sampler sampler = new Sampler(SamplingParameters.builder().build(), 3);
            assertThat(draws(sampler, new float[] {0f, 0f, NEG_INF}, 200)).containsAnyOf(0, 1).doesNotContain(2);
        }

        @ParameterizedTest
        @ValueSource(doubles = {0.7, 1.0, 1.6})
        void frequenciesMatchSoftmaxOfLogitsOverTemperature(double temperature) {
            assertFrequencies(sampler(sampling().temperature(temperature), logits.length), logits,
                    softmax(logits, temperature));
        }

        @Test
        void frequenciesMatchTheRenormalisedKeptSet() {
            // top-k 3 keeps ids 4, 0, 1; their softmax renormalised, the rest never drawn.
            double[] kept = softmax(new float[] {1.0f, 0.5f, 2.0f}, 0.8);
            double[] expected = {kept[0], kept[1], 0, 0, kept[2]};
            assertFrequencies(sampler(sampling().temperature(0.8).topK(3), logits.length), logits, expected);
        }

        private static void assertFrequencies(Sampler sampler, float[] logits, double[] expected) {
            int n = 20_000;
            int[] counts = new int[logits.length];
            for (int id : draws(sampler, logits, n)) counts[id]++;
            for (int id = 0; id < logits.length; id++) {
                double p = expected[id];
                double standardError = Math.sqrt(p * (1 - p) / n);
                assertThat((double) counts[id] / n).as("frequency of token %d", id)
                        .isCloseTo(p, within(4 * standardError + 1e-12));
            }
        }
    }

    @Nested
    class Numerics {

        @Test
        void hugeLogitsAndTinyTemperaturesDoNotOverflow() {
            float big = Float.MAX_VALUE;
            Sampler sampler = sampler(sampling().temperature(0.01), 4);
            int[] ids = draws(sampler, new float[] {big, -big, big, NEG_INF}, 2_000);
            assertThat(ids).containsOnly(0, 2);
            assertThat(IntStream.of(ids).filter(id -> id == 0).count()).isBetween(850L, 1150L);
        }

        @Test
        void positiveInfinityWinsLikeTheLargestLogit() {
            float inf = Float.POSITIVE_INFINITY;
            assertThat(draws(sampler(sampling(), 3), new float[] {inf, 1e30f, inf}, 500)).containsOnly(0, 2);
            assertThat(new Sampler(SamplingParameters.greedy(), 3).next(new float[] {1f, inf, inf}, new TokenHistory()))
                    .isEqualTo(1);
        }

        @Test
        void hugeTemperatureIsNearlyUniformButStillExcludesMinusInfinity() {
            int[] ids = draws(sampler(sampling().temperature(1e30), 3), new float[] {100f, -100f, NEG_INF}, 2_000);
            assertThat(ids).containsOnly(0, 1);
        }

        @Test
        void nanIsAnError() {
            float[] logits = {0f, Float.NaN, 1f};
            assertThatThrownBy(() -> sampler(sampling(), 3).next(logits.clone(), new TokenHistory()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN").hasMessageContaining("1");
            assertThatThrownBy(() -> new Sampler(SamplingParameters.greedy(), 3).next(logits.clone(), new TokenHistory()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        }

        @Test
        void onlyMinusInfinityIsAnError() {
            float[] logits = {NEG_INF, NEG_INF};
            assertThatThrownBy(() -> sampler(sampling(), 2).next(logits.clone(), new TokenHistory()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-infinity");
            assertThatThrownBy(() -> new Sampler(SamplingParameters.greedy(), 2).next(logits.clone(), new TokenHistory()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-infinity");
        }

        @Test
        void logitsOfTheWrongLengthAreAnError() {
            assertThatThrownBy(() -> sampler(sampling(), 4).next(new float[3], new TokenHistory()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabSize = 4");
        }
    }

    @Test
    void aCallAllocatesNothingProportionalToTheVocabulary() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Random random = new Random(5);
        float[] logits = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) logits[i] = (float) random.nextGaussian() * 3;
        TokenHistory history = new TokenHistory(IntStream.range(0, 300).map(i -> i * 7).toArray());
        for (SamplingParameters params : new SamplingParameters[] {
                SamplingParameters.modelCardDefaults(),
                sampling().topP(0.9).minP(0.05).frequencyPenalty(0.3).build()}) {
            Sampler sampler = new Sampler(params, VOCAB);
            for (int i = 0; i < 20; i++) sampler.next(logits.clone(), history);   // warm up
            float[] work = logits.clone();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 50; i++) {
                System.arraycopy(logits, 0, work, 0, VOCAB);
                sampler.next(work, history);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // One vocabulary-sized float array is 221 KB; 50 calls share well under one.
            assertThat(allocated).as("bytes allocated by 50 calls with %s", params).isLessThan(64 * 1024);
        }
    }
}
