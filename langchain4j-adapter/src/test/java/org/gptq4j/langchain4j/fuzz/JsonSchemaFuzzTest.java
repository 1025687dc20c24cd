package org.gptq4j.langchain4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.gptq4j.langchain4j.constraint.GrammarConstraint;
import org.gptq4j.langchain4j.constraint.GrammarState;
import org.gptq4j.langchain4j.constraint.SchemaNode;

/**
 * Arbitrary JSON Schema text given to {@code JsonSchemas.fromJson}: either it is refused with an
 * {@link IllegalArgumentException} that says why, or it yields a grammar whose first step (the tokens allowed
 * before any output) can be computed, is never empty, and does not throw.
 * <p>Input: the schema text, UTF-8.
 */
class JsonSchemaFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void anySchemaTextIsRefusedClearlyOrYieldsAConstraint(byte[] input) {
        SchemaNode schema = SchemaFuzz.convertOrRefuse(new String(input, StandardCharsets.UTF_8));
        if (schema == null) return;
        GrammarConstraint constraint = new GrammarConstraint(SchemaFuzz.VOCABULARY, GrammarState.start(schema), SchemaFuzz.END);
        assertThat(constraint.allowedTokens().isEmpty()).as("no token allowed at the start").isFalse();
        assertThat(constraint.isComplete()).as("complete before any output").isFalse();
    }
}
