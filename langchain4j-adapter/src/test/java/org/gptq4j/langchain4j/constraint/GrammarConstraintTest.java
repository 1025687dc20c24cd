package org.gptq4j.langchain4j.constraint;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GrammarConstraintTest {
    // ids: 0 eos (no text), 1 "{", 2 "}", 3 "{}", 4 "\"", 5 "a", 6 " ", 7 "x"
    private static final VocabularyIndex VOCAB = VocabularyIndex.ofTexts(null, "{", "}", "{}", "\"", "a", " ", "x");
    private static final SchemaNode EMPTY_OBJECT = JsonSchemas.fromJson("{\"type\":\"object\",\"additionalProperties\":false}",
            GrammarLimits.DEFAULT);

    @Test
    void masks_every_token_the_grammar_refuses_and_allows_the_end_only_when_complete() {
        GrammarConstraint constraint = new GrammarConstraint(VOCAB, GrammarState.start(EMPTY_OBJECT), Set.of(0));
        assertThat(constraint.allowedTokens()).isEqualTo(bits(1, 3, 6));

        float[] logits = new float[8];
        constraint.apply(logits);
        assertThat(logits[7]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(logits[1]).isZero();

        constraint.accept(1);
        assertThat(constraint.allowedTokens()).isEqualTo(bits(2));
        constraint.accept(2);
        assertThat(constraint.isComplete()).isTrue();
        assertThat(constraint.allowedTokens()).isEqualTo(bits(0));
    }

    @Test
    void triggered_constraint_stays_free_unless_the_answer_starts_with_the_trigger() {
        List<JsonGrammar.Frame> frames = List.of(JsonGrammar.literal("{}"));
        TriggeredGrammarConstraint free = new TriggeredGrammarConstraint(VOCAB, GrammarState.start(frames), '{', Set.of(0));
        free.accept(5);
        float[] logits = new float[8];
        free.apply(logits);
        assertThat(logits).containsOnly(0f);
        assertThat(free.isConstrained()).isFalse();

        TriggeredGrammarConstraint tool = new TriggeredGrammarConstraint(VOCAB, GrammarState.start(frames), '{', Set.of(0));
        tool.accept(1);
        assertThat(tool.isConstrained()).isTrue();
        tool.apply(logits);
        assertThat(logits[2]).isZero();
        assertThat(logits[5]).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void closes_an_unbounded_string_and_array_before_the_token_budget_runs_out() {
        // ids: 0 eos, then single characters and a long run of "aaaa"
        VocabularyIndex vocab = VocabularyIndex.ofTexts(null, "{", "}", "[", "]", "\"", ":", ",", "aaaa", "k");
        SchemaNode schema = JsonSchemas.fromJson("""
                {"type":"object","properties":{"k":{"type":"array","items":{"type":"string"}}},"required":["k"]}""",
                new GrammarLimits(1000, 1000, 3, 9));
        for (int budget = 12; budget <= 30; budget++) {
            GrammarConstraint constraint = new GrammarConstraint(vocab, GrammarState.start(schema), Set.of(0), budget);
            StringBuilder text = new StringBuilder();
            int used = 0;
            while (used < budget && !constraint.isComplete()) {
                BitSet allowed = constraint.allowedTokens();
                // the greediest model: it always writes more "aaaa" or another item when it may
                int token = allowed.get(7) ? 7 : allowed.get(6) ? 6 : allowed.get(5) ? 5 : allowed.nextSetBit(0);
                used++;
                if (token == 0) break;
                constraint.accept(token);
                text.append(vocab.text(token));
            }
            assertThat(constraint.state().isAccepting()).as("budget %d: %s", budget, text).isTrue();
            assertThat(used).as("budget %d: %s", budget, text).isLessThanOrEqualTo(budget);
        }
    }

    @Test
    void a_budget_below_the_shortest_sentence_leaves_the_grammar_alone() {
        GrammarConstraint constraint = new GrammarConstraint(VOCAB, GrammarState.start(JsonSchemas.fromJson(
                "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}",
                GrammarLimits.DEFAULT)), Set.of(0), 2);
        assertThat(constraint.allowedTokens()).isEqualTo(bits(1, 6)); // "{" and " ": cut off later, never stuck
    }

    private static BitSet bits(int... ids) {
        BitSet b = new BitSet();
        for (int id : ids) b.set(id);
        return b;
    }
}
