package org.gptq4j.langchain4j.constraint;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Frame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Stack;

/**
 * Where a {@link JsonGrammar} recognizer stands: the set of parse stacks still alive after the text fed so
 * far. Immutable; {@link #feed} returns a new state.
 */
public final class GrammarState {
    private static final GrammarState DEAD = new GrammarState(List.of());

    private final List<Stack> stacks; // a null element is a finished parse

    private GrammarState(List<Stack> stacks) {
        this.stacks = stacks;
    }

    /** The state before any text, expecting {@code frames} in order. */
    public static GrammarState start(List<Frame> frames) {
        List<Stack> initial = new ArrayList<>(1);
        initial.add(Stack.of(frames, null));
        return new GrammarState(initial);
    }

    /** The state before any text, expecting any one of the alternatives (each a sequence of frames). */
    public static GrammarState startAny(List<List<Frame>> alternatives) {
        List<Stack> initial = new ArrayList<>(alternatives.size());
        for (List<Frame> frames : alternatives) initial.add(Stack.of(frames, null));
        return new GrammarState(initial);
    }

    /** The state before any text, expecting one JSON value matching {@code schema}. */
    public static GrammarState start(SchemaNode schema) {
        return start(List.of(JsonGrammar.value(schema)));
    }

    /** The state after {@code c}; {@link #isDead()} when the grammar refuses it. */
    public GrammarState feed(char c) {
        if (stacks.isEmpty()) return this;
        List<Stack> next = new ArrayList<>(stacks.size() + 1);
        for (Stack stack : stacks) Stack.feed(stack, c, next);
        if (next.isEmpty()) return DEAD;
        if (next.size() > 1) next = new ArrayList<>(new LinkedHashSet<>(next));
        return new GrammarState(next);
    }

    /** The state after every character of {@code text}. */
    public GrammarState feed(CharSequence text) {
        GrammarState state = this;
        for (int i = 0; i < text.length() && !state.isDead(); i++) state = state.feed(text.charAt(i));
        return state;
    }

    /** True when no continuation can satisfy the grammar any more. */
    public boolean isDead() {
        return stacks.isEmpty();
    }

    /** True when the text so far is a complete sentence of the grammar (it may still go on). */
    public boolean isAccepting() {
        for (Stack stack : stacks) {
            if (Stack.accepting(stack)) return true;
        }
        return false;
    }

    /** True when the text so far is complete and nothing may follow it. */
    public boolean isComplete() {
        if (stacks.isEmpty()) return false;
        for (Stack stack : stacks) {
            if (stack != null) return false;
        }
        return true;
    }

    /** The parse stacks alive ({@code null}: a finished parse). */
    List<Stack> stacks() {
        return stacks;
    }

    /** How many alternative parses are alive (for tests and diagnostics). */
    public int alternatives() {
        return stacks.size();
    }
}
