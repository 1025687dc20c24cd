package org.gptq4j.sampling;

import java.util.SplittableRandom;

/**
 * Chooses each next token of one sequence from the model's logits, applying {@link SamplingParameters}
 * in the order transformers' {@code generate} applies them:
 * <ol>
 *   <li>repetition penalty over every distinct id of the prompt and the generated tokens
 *       ({@code logit > 0 ? logit / penalty : logit * penalty}, each id once);</li>
 *   <li>frequency and presence penalties over the generated tokens only (OpenAI:
 *       {@code logit -= count * frequency + (count > 0 ? presence : 0)});</li>
 *   <li>temperature 0: the argmax, lowest id on ties, and nothing below applies;</li>
 *   <li>temperature, top-k, top-p, min-p, then a draw from the softmax of what is left.</li>
 * </ol>
 *
 * <p><b>In place:</b> {@link #next} writes the penalised logits back into the caller's array (only the
 * entries of ids in the history change; the array then holds the scores transformers' processors would
 * return). Temperature and the filters work on this sampler's own scratch buffer, sized once for the
 * vocabulary, so a call allocates nothing.
 *
 * <p>One sampler per sequence: it owns the random generator, seeded from {@link SamplingParameters#seed()}
 * ({@link SplittableRandom}, whose algorithm is fixed), so the same seed and logits give the same tokens.
 * A NaN logit is an error; -infinity means "never"; +infinity counts as the largest float.
 * Ties at the top-k or top-p boundary are all kept. Not thread-safe.
 */
public final class Sampler {

    private final SamplingParameters parameters;
    private final int vocabSize;
    private final SplittableRandom random;
    private final Candidates candidates;

    /** A sampler for logits of {@code vocabSize} entries. */
    public Sampler(SamplingParameters parameters, int vocabSize) {
        if (parameters == null) {
            throw new IllegalArgumentException("parameters must not be null");
        }
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be >= 1, but was " + vocabSize);
        }
        this.parameters = parameters;
        this.vocabSize = vocabSize;
        this.random = parameters.seed() == null ? new SplittableRandom() : new SplittableRandom(parameters.seed());
        this.candidates = new Candidates(vocabSize);
    }

    public SamplingParameters parameters() {
        return parameters;
    }

    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The next token id. Penalises {@code logits} in place (see the class comment) and reads
     * {@code history} without adding to it: add the returned id with {@link TokenHistory#add(int)}.
     *
     * @throws IllegalArgumentException when {@code logits} has the wrong length, holds NaN or only
     *                                  -infinity, or the history holds an id outside the vocabulary
     */
    public int next(float[] logits, TokenHistory history) {
        applyPenalties(logits, history);
        if (parameters.isGreedy()) {
            return argmax(logits);
        }
        shortlist(logits);
        return candidates.draw(parameters.temperature(), random.nextDouble());
    }

    /** Filters the penalised logits into {@link #candidates} (top-k, then top-p, then min-p). */
    private void shortlist(float[] penalisedLogits) {
        double temperature = parameters.temperature();
        candidates.fill(penalisedLogits);
        if (parameters.topK() > 0) candidates.keepTopK(parameters.topK());
        candidates.keepTopP(parameters.topP(), temperature);
        candidates.keepMinP(parameters.minP(), temperature);
    }

    /** The ids that {@link #next} would draw from, ascending (penalises {@code logits} in place); for tests. */
    int[] candidateIds(float[] logits, TokenHistory history) {
        applyPenalties(logits, history);
        shortlist(logits);
        return candidates.tokenIds();
    }

    /** Steps 1 and 2 of the class comment, over the history's distinct ids: O(distinct ids), not O(vocab). */
    void applyPenalties(float[] logits, TokenHistory history) {
        if (logits.length != vocabSize) {
            throw new IllegalArgumentException("logits must have vocabSize = " + vocabSize
                    + " entries, but had " + logits.length);
        }
        float repetition = (float) parameters.repetitionPenalty();   // transformers computes in float32
        double frequency = parameters.frequencyPenalty();
        double presence = parameters.presencePenalty();
        boolean repetitionOn = repetition != 1f;
        boolean occurrenceOn = frequency != 0 || presence != 0;
        if (!repetitionOn && !occurrenceOn) return;
        for (int i = 0, n = history.distinctCount(); i < n; i++) {
            int id = history.distinctId(i);
            if (id >= vocabSize) {
                throw new IllegalArgumentException("history holds token id " + id
                        + ", outside the vocabulary of " + vocabSize);
            }
            float l = logits[id];
            if (repetitionOn) {
                // CTRL penalty: pushes the logit towards -inf either way (a negative one grows more negative).
                l = l > 0 ? l / repetition : l * repetition;
            }
            int count = history.generatedCount(id);
            if (occurrenceOn && count > 0) {
                l = (float) (l - (count * frequency + presence));
            }
            logits[id] = l;
        }
    }

    /** The index of the largest logit, the lowest on ties (as torch.argmax). */
    private static int argmax(float[] logits) {
        int best = -1;
        float bestLogit = Float.NEGATIVE_INFINITY;
        for (int id = 0; id < logits.length; id++) {
            float l = logits[id];
            if (l != l) {
                throw new IllegalArgumentException("logit of token " + id + " is NaN");
            }
            if (l > bestLogit) {   // strict: an equal later logit does not replace the earlier id
                best = id;
                bestLogit = l;
            }
        }
        if (best < 0) {
            throw new IllegalArgumentException("no token can be chosen: every logit is -infinity");
        }
        return best;
    }
}
