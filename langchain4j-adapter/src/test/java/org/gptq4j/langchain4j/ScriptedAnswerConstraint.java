package org.gptq4j.langchain4j;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.gptq4j.langchain4j.constraint.VocabularyIndex;
import org.gptq4j.sampling.LogitsConstraint;

/**
 * Steers one real generation to a scripted answer, inside whatever the request's own constraint (its JSON or
 * tool-call grammar) allows: before each token, the request's constraint masks the logits first; of the tokens
 * it leaves, the one whose text is the longest prefix of the rest of the script is the only one kept. Once the
 * script is written, only an end token is kept. The engine does everything else as for any request (sampling,
 * stop sequences, the token budget, detokenizing, the grammar's own stop), so a stop sequence or
 * {@code maxOutputTokens} still cuts the scripted answer.
 *
 * <p>The first candidate answer that the request's constraint lets start is the script (e.g. plain text, or the JSON
 * form of the same answer when the grammar asks for JSON). A script the grammar refuses, or one no candidate of
 * which may start, fails the generation with an {@link IllegalStateException} naming the place: the grammar is
 * checked, never worked around.
 */
final class ScriptedAnswerConstraint implements LogitsConstraint {
    private final LogitsConstraint inner;
    private final List<String> candidates;
    private final VocabularyIndex vocabulary;
    private final Set<Integer> endTokenIds;
    private String script;
    private int written; // characters of the script the chosen tokens have written

    /**
     * @param inner       the request's own constraint, or {@code null}
     * @param candidates  the answers to write, in order of preference
     * @param endTokenIds the tokens that end the answer (the request's stop tokens and EOS)
     */
    ScriptedAnswerConstraint(LogitsConstraint inner, List<String> candidates, VocabularyIndex vocabulary,
                             Set<Integer> endTokenIds) {
        if (candidates.isEmpty()) throw new IllegalArgumentException("no scripted answer");
        this.inner = inner;
        this.candidates = List.copyOf(candidates);
        this.vocabulary = vocabulary;
        this.endTokenIds = Set.copyOf(endTokenIds);
    }

    @Override
    public void apply(float[] logits) {
        if (inner != null) inner.apply(logits);
        if (script == null) script = firstAllowed(logits);
        int chosen = written == script.length() ? endToken(logits) : longestPrefix(logits, script.substring(written));
        Arrays.fill(logits, Float.NEGATIVE_INFINITY);
        logits[chosen] = 0f;
    }

    private String firstAllowed(float[] logits) {
        for (String candidate : candidates) {
            if (longestPrefixOrNone(logits, candidate) >= 0) return candidate;
        }
        throw new IllegalStateException("the request's constraint lets none of the scripted answers start: " + candidates);
    }

    private int longestPrefix(float[] logits, String rest) {
        int best = longestPrefixOrNone(logits, rest);
        if (best < 0) {
            throw new IllegalStateException("the request's constraint refuses the scripted answer " + script
                    + " after " + written + " characters, at: " + rest);
        }
        return best;
    }

    /** The allowed token whose text is the longest prefix of {@code rest}, or -1. */
    private int longestPrefixOrNone(float[] logits, String rest) {
        int best = -1;
        int bestLength = 0;
        for (int id = 0; id < logits.length; id++) {
            if (logits[id] == Float.NEGATIVE_INFINITY) continue;
            String text = vocabulary.text(id);
            if (text == null || text.length() <= bestLength || !rest.startsWith(text)) continue;
            best = id;
            bestLength = text.length();
        }
        return best;
    }

    private int endToken(float[] logits) {
        for (int id : endTokenIds) {
            if (id < logits.length && logits[id] != Float.NEGATIVE_INFINITY) return id;
        }
        throw new IllegalStateException("the request's constraint allows no end token after the scripted answer " + script);
    }

    @Override
    public void accept(int tokenId) {
        if (inner != null) inner.accept(tokenId);
        String text = vocabulary.text(tokenId);
        if (script != null && text != null && script.startsWith(text, written)) written += text.length();
    }

    @Override
    public boolean isComplete() {
        return inner != null && inner.isComplete();
    }
}
