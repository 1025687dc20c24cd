package org.gptq4j.langchain4j.constraint;

import java.util.Set;
import org.gptq4j.sampling.LogitsConstraint;

/**
 * Leaves the model free until the first non-whitespace character of its answer: if that character is the
 * trigger (the first character of a tool call), the rest of the answer is held to the grammar; otherwise the
 * answer stays free text to the end. This is how {@code ToolChoice.AUTO} lets the model choose between
 * answering and calling tools while every tool call it starts is still well-formed.
 */
public final class TriggeredGrammarConstraint implements LogitsConstraint {
    private enum Phase { UNDECIDED, GRAMMAR, FREE }

    private final VocabularyIndex vocabulary;
    private final GrammarState grammar;
    private final char trigger;
    private final Set<Integer> endTokenIds;
    private final StringBuilder prefix = new StringBuilder();
    private Phase phase = Phase.UNDECIDED;
    private GrammarConstraint delegate;
    private int tokensLeft; // Integer.MAX_VALUE: no budget

    public TriggeredGrammarConstraint(VocabularyIndex vocabulary, GrammarState grammar, char trigger,
                                      Set<Integer> endTokenIds) {
        this(vocabulary, grammar, trigger, endTokenIds, Integer.MAX_VALUE);
    }

    /** @param maxTokens the answer's token budget, which the grammar, once triggered, closes its sentence within */
    public TriggeredGrammarConstraint(VocabularyIndex vocabulary, GrammarState grammar, char trigger,
                                      Set<Integer> endTokenIds, int maxTokens) {
        this.vocabulary = vocabulary;
        this.grammar = grammar;
        this.trigger = trigger;
        this.endTokenIds = Set.copyOf(endTokenIds);
        this.tokensLeft = maxTokens;
    }

    @Override
    public void apply(float[] logits) {
        if (phase == Phase.GRAMMAR) delegate.apply(logits);
    }

    @Override
    public void accept(int tokenId) {
        switch (phase) {
            case GRAMMAR -> delegate.accept(tokenId);
            case FREE -> { }
            case UNDECIDED -> {
                if (tokensLeft != Integer.MAX_VALUE && tokensLeft > 1) tokensLeft--;
                decide(tokenId);
            }
        }
    }

    private void decide(int tokenId) {
        String text = vocabulary.text(tokenId);
        if (text == null) {
            phase = Phase.FREE;
            return;
        }
        prefix.append(text);
        String stripped = prefix.toString().stripLeading();
        if (stripped.isEmpty()) return;
        if (stripped.charAt(0) != trigger) {
            phase = Phase.FREE;
            return;
        }
        GrammarState state = grammar.feed(prefix);
        if (state.isDead()) {
            phase = Phase.FREE;
            return;
        }
        delegate = new GrammarConstraint(vocabulary, state, endTokenIds, tokensLeft);
        phase = Phase.GRAMMAR;
    }

    @Override
    public boolean isComplete() {
        return phase == Phase.GRAMMAR && delegate.isComplete();
    }

    /** True once the answer has started with the trigger and is held to the grammar. */
    public boolean isConstrained() {
        return phase == Phase.GRAMMAR;
    }
}
