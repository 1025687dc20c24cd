package org.gptq4j.langchain4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * What one request does with the logits besides sampling: its grammar (a {@link LogitsConstraint}, or none), then
 * its {@code logitBias} added to the tokens the grammar allows, then, when asked, the log-probability of each
 * chosen token and its most likely alternatives recorded. It is the request's constraint towards the engine, which
 * calls {@link #apply} on the raw logits before sampling and {@link #accept} with the token chosen.
 */
final class RequestLogits implements LogitsConstraint {
    private final LogitsConstraint grammar;
    private final int[] biasIds;
    private final float[] biasValues;
    private final int topLogprobs; // -1: no log-probabilities recorded
    private final Tokenizer tokenizer;
    private final Set<Integer> endTokenIds;
    private final List<TokenLogprob> recorded = new ArrayList<>();
    private float[] lastLogits; // the distribution the next accepted token was chosen from
    private double lastLogSum;

    /**
     * @param grammar     the answer's grammar, or {@code null}
     * @param bias        token id to the value added to its logit
     * @param topLogprobs how many alternatives to record per token; -1 to record no log-probabilities
     * @param endTokenIds tokens not recorded (the end of turn is no part of the answer)
     */
    RequestLogits(LogitsConstraint grammar, Map<Integer, Double> bias, int topLogprobs, Tokenizer tokenizer,
                  Set<Integer> endTokenIds) {
        this.grammar = grammar;
        this.biasIds = bias.keySet().stream().mapToInt(Integer::intValue).toArray();
        this.biasValues = new float[biasIds.length];
        for (int i = 0; i < biasIds.length; i++) biasValues[i] = bias.get(biasIds[i]).floatValue();
        this.topLogprobs = topLogprobs;
        this.tokenizer = tokenizer;
        this.endTokenIds = Set.copyOf(endTokenIds);
    }

    /** Whether the request needs this at all (a grammar alone goes to the engine as it is). */
    static boolean needed(Map<Integer, Double> bias, int topLogprobs) {
        return !bias.isEmpty() || topLogprobs >= 0;
    }

    @Override
    public void apply(float[] logits) {
        if (grammar != null) grammar.apply(logits);
        for (int i = 0; i < biasIds.length; i++) {
            if (biasIds[i] < logits.length) logits[biasIds[i]] += biasValues[i];
        }
        if (topLogprobs >= 0) {
            lastLogits = logits.clone();
            lastLogSum = logSumExp(lastLogits);
        }
    }

    @Override
    public void accept(int tokenId) {
        if (grammar != null) grammar.accept(tokenId);
        if (topLogprobs < 0 || lastLogits == null || endTokenIds.contains(tokenId)) return;
        List<TokenLogprob> top = new ArrayList<>(topLogprobs);
        for (int id : topIds(lastLogits, topLogprobs)) top.add(entry(id, List.of()));
        recorded.add(entry(tokenId, top));
    }

    @Override
    public boolean isComplete() {
        return grammar != null && grammar.isComplete();
    }

    /** The log-probabilities recorded so far; {@code null} when none were asked for. Read after the generation. */
    List<TokenLogprob> logprobs() {
        return topLogprobs < 0 ? null : List.copyOf(recorded);
    }

    private TokenLogprob entry(int id, List<TokenLogprob> top) {
        double logprob = lastLogits[id] == Float.NEGATIVE_INFINITY ? -9999.0 : Math.min(0.0, lastLogits[id] - lastLogSum);
        return new TokenLogprob(id, text(id), logprob, top);
    }

    /**
     * A token's text where it follows other text: decoding it alone would drop the leading space SentencePiece
     * writes as {@code ▁} (its dummy prefix), so it is the second half of the token decoded twice.
     */
    private String text(int id) {
        String once = tokenizer.decode(new int[] {id});
        String twice = tokenizer.decode(new int[] {id, id});
        return twice.length() > once.length() ? twice.substring(once.length()) : once;
    }

    private static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        if (max == Float.NEGATIVE_INFINITY) return 0;
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        return max + Math.log(sum);
    }

    /** The ids of the {@code k} largest finite logits, largest first. */
    private static int[] topIds(float[] logits, int k) {
        int[] best = new int[k];
        int n = 0;
        for (int id = 0; id < logits.length; id++) {
            float l = logits[id];
            if (l == Float.NEGATIVE_INFINITY || (n == k && (k == 0 || l <= logits[best[n - 1]]))) continue;
            int pos = n < k ? n++ : k - 1;
            while (pos > 0 && logits[best[pos - 1]] < l) {
                best[pos] = best[pos - 1];
                pos--;
            }
            best[pos] = id;
        }
        return java.util.Arrays.copyOf(best, n);
    }
}
