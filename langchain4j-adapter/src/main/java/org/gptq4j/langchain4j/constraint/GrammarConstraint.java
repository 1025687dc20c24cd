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
 * <p>One instance serves one request, from one thread at a time.
 */
public final class GrammarConstraint implements LogitsConstraint {
    private final VocabularyIndex vocabulary;
    private final Set<Integer> endTokenIds;
    private GrammarState state;

    public GrammarConstraint(VocabularyIndex vocabulary, GrammarState start, Set<Integer> endTokenIds) {
        this.vocabulary = vocabulary;
        this.state = start;
        this.endTokenIds = Set.copyOf(endTokenIds);
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
        if (!state.isDead()) walk(vocabulary.root, state, allowed);
        if (state.isAccepting() || allowed.isEmpty()) {
            for (int id : endTokenIds) allowed.set(id);
        }
        return allowed;
    }

    private static void walk(TrieNode node, GrammarState state, BitSet allowed) {
        for (int i = 0; i < node.chars.length; i++) {
            GrammarState next = state.feed(node.chars[i]);
            if (next.isDead()) continue;
            TrieNode child = node.children[i];
            for (int id : child.tokens) allowed.set(id);
            walk(child, next, allowed);
        }
    }

    @Override
    public void accept(int tokenId) {
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
