package org.gptq4j.langchain4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Random;
import org.gptq4j.langchain4j.constraint.GrammarConstraint;
import org.gptq4j.langchain4j.constraint.GrammarState;
import org.gptq4j.langchain4j.constraint.SchemaNode;

/**
 * Random walks through the JSON-schema constraint over the real stories260K vocabulary: at every step one of the
 * tokens the constraint allows is chosen uniformly at random. The constraint must never leave the walk without a
 * way on (a state that is not accepting must allow some text token), and the text, once complete (or ended by the end-of-turn token where the grammar accepts), must parse as
 * one JSON document and validate against the schema (the keywords the grammar promises to enforce) with the
 * independent networknt validator.
 * <p>A uniform walk through a recursive schema (a linked list of objects, say) may keep nesting far longer than any
 * model would: a walk still open after {@link #MAX_TOKENS} tokens is not judged. That is no gap in what the adapter
 * promises: a real request is bounded by its {@code maxOutputTokens}, and an answer cut there ends with LENGTH.
 * <p>Input: a first line (any bytes) that seeds the walk, then the schema text, UTF-8.
 */
class JsonSchemaWalkFuzzTest {
    static final int MAX_TOKENS = 4000;
    private static final JsonSchemaFactory VALIDATORS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    @FuzzTest(maxDuration = "30s")
    void randomWalksEndInValidJson(byte[] input) throws Exception {
        int newline = 0;
        while (newline < input.length && input[newline] != '\n') newline++;
        if (newline >= input.length) return;
        long seed = java.util.Arrays.hashCode(java.util.Arrays.copyOf(input, newline));
        String schemaText = new String(input, newline + 1, input.length - newline - 1, StandardCharsets.UTF_8);
        SchemaNode schema = SchemaFuzz.convertOrRefuse(schemaText);
        if (schema == null) return;
        String text = walk(schema, new Random(seed));
        if (text != null) check(schemaText, text);
    }

    /** One uniform random walk; returns the text written, or null if it was still open after {@link #MAX_TOKENS}. */
    static String walk(SchemaNode schema, Random random) {
        GrammarConstraint constraint = new GrammarConstraint(SchemaFuzz.VOCABULARY, GrammarState.start(schema), SchemaFuzz.END);
        StringBuilder text = new StringBuilder();
        for (int step = 0; step < MAX_TOKENS; step++) {
            if (constraint.isComplete()) return text.toString();
            BitSet allowed = constraint.allowedTokens();
            assertThat(allowed.isEmpty()).as("no token allowed after %s", text).isFalse();
            BitSet textTokens = (BitSet) allowed.clone();
            SchemaFuzz.END.forEach(textTokens::clear);
            if (!constraint.state().isAccepting()) {
                assertThat(textTokens.isEmpty()).as("dead end before the document is complete, after: %s", text).isFalse();
            }
            int pick = random.nextInt(allowed.cardinality());
            int id = allowed.nextSetBit(0);
            for (int i = 0; i < pick; i++) id = allowed.nextSetBit(id + 1);
            if (SchemaFuzz.END.contains(id)) return text.toString(); // allowed only where the grammar accepts
            constraint.accept(id);
            text.append(SchemaFuzz.VOCABULARY.text(id));
        }
        return null;
    }

    static void check(String schemaText, String text) throws Exception {
        JsonNode document;
        try {
            document = SchemaFuzz.JSON.readerFor(JsonNode.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .readValue(text);
        } catch (Exception e) {
            throw new AssertionError("not one JSON document: " + text, e);
        }
        JsonNode schemaTree = SchemaFuzz.JSON.readTree(schemaText);
        if (hasNonLocalRef(schemaTree)) return; // the validator would fetch it: parsing is all that is checked
        java.util.Set<com.networknt.schema.ValidationMessage> errors;
        try {
            JsonSchema validator = VALIDATORS.getSchema(SchemaFuzz.honouredPart(schemaTree));
            errors = validator.validate(document);
        } catch (com.networknt.schema.InvalidSchemaRefException e) {
            return; // JsonSchemas resolves a $ref by its last segment; a pointer the validator can not follow is not judged
        } catch (RuntimeException e) {
            // The validator cannot use the schema itself (malformed "items": 5, a $ref it cannot decode, ...) where
            // JsonSchemas read it leniently: there is no reference answer to judge the output against.
            return;
        }
        assertThat(errors).as("%s against %s", text, schemaText).isEmpty();
    }

    private static boolean hasNonLocalRef(JsonNode node) {
        if (node.isObject() && node.has("$ref") && !node.get("$ref").asText().startsWith("#")) return true;
        for (JsonNode child : node) if (hasNonLocalRef(child)) return true;
        return false;
    }
}
