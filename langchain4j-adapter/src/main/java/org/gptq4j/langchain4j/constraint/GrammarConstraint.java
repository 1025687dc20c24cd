package org.gptq4j.langchain4j.constraint;

import java.util.BitSet;
import java.util.Set;
import org.gptq4j.langchain4j.constraint.VocabularyIndex.TrieNode;
import org.gptq4j.sampling.LogitsConstraint;

/**
 * Constrains generation to the sentences of a grammar (JSON, a JSON schema, tool calls): before each token,
 * every token whose text the grammar would refuse gets a logit of negative infinity. The end-of-turn tokens
 * are allowed exactly when the text so far is a complete sentence. Once the sentence can not go on,
 * {@link #isComplete()} tells the engine to stop.
 *
 * <p>With a token budget (the answer's {@code maxNewTokens}), strings, arrays and objects the schema leaves unbounded
 * are closed in time: a token is allowed only if the sentence can still be completed, and the end-of-turn token
 * written, in the tokens left after it ({@link ClosingDistance}: each token writes at least one character). When
 * even that is out of reach (a budget below the shortest sentence), the grammar alone applies and the answer is
 * cut off.
 *
 * <p>One instance serves one request, from one thread at a time.
 */
public final class GrammarConstraint implements LogitsConstraint {
    private final VocabularyIndex vocabulary;
    private final Set<Integer> endTokenIds;
    private final ClosingDistance distance = new ClosingDistance();
    private GrammarState state;
    private int tokensLeft; // Integer.MAX_VALUE: no budget

    public GrammarConstraint(VocabularyIndex vocabulary, GrammarState start, Set<Integer> endTokenIds) {
        this(vocabulary, start, endTokenIds, Integer.MAX_VALUE);
    }

    /** @param maxTokens the tokens the answer may still take, the end-of-turn token included */
    public GrammarConstraint(VocabularyIndex vocabulary, GrammarState start, Set<Integer> endTokenIds, int maxTokens) {
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be >= 1, but was " + maxTokens);
        this.vocabulary = vocabulary;
        this.state = start;
        this.endTokenIds = Set.copyOf(endTokenIds);
        this.tokensLeft = maxTokens;
    }

    @Override
    public void apply(float[] logits) {
        BitSet allowed = allowedTokens();
        for (int id = 0; id < logits.length; id++) {
            if (!allowed.get(id)) logits[id] = Float.NEGATIVE_INFINITY;
        }
    }

    /** The tokens that may come next. Never empty: at a dead end the end-of-turn tokens stay allowed. */
    public BitSet allowedTokens() {
        BitSet allowed = new BitSet(vocabulary.size());
        if (!state.isDead()) {
            boolean budgeted = tokensLeft != Integer.MAX_VALUE && distance.of(state) + 1 <= tokensLeft;
            walk(vocabulary.root, state, allowed, budgeted ? tokensLeft - 1 : -1);
            if (allowed.isEmpty() && budgeted && !state.isAccepting()) {
                walk(vocabulary.root, state, allowed, -1); // no way to close in time: the grammar alone
            }
        }
        if (state.isAccepting() || allowed.isEmpty()) {
            for (int id : endTokenIds) allowed.set(id);
        }
        return allowed;
    }

    /**
     * Allows the tokens under {@code node} that the grammar accepts from {@code state}; with {@code after} >= 0 only
     * those after which the sentence can still be completed, end-of-turn token included, in {@code after} tokens.
     */
    private void walk(TrieNode node, GrammarState state, BitSet allowed, int after) {
        for (int i = 0; i < node.chars.length; i++) {
            GrammarState next = state.feed(node.chars[i]);
            if (next.isDead()) continue;
            TrieNode child = node.children[i];
            if (child.tokens.length > 0 && (after < 0 || fits(next, after))) {
                for (int id : child.tokens) allowed.set(id);
            }
            walk(child, next, allowed, after);
        }
    }

    private boolean fits(GrammarState next, int tokens) {
        return next.isComplete() || distance.of(next) + 1 <= tokens;
    }

    @Override
    public void accept(int tokenId) {
        if (tokensLeft != Integer.MAX_VALUE && tokensLeft > 1) tokensLeft--;
        if (endTokenIds.contains(tokenId)) return;
        String text = vocabulary.text(tokenId);
        state = text == null ? state.feed('\u0000') : state.feed(text);
    }

    @Override
    public boolean isComplete() {
        return state.isComplete();
    }

    /** The grammar state after the tokens accepted so far. */
    public GrammarState state() {
        return state;
    }
}
