package org.gptq4j.langchain4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.gptq4j.langchain4j.constraint.SchemaNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The JSON-schema fuzz findings (issue 6), each by name; their inputs are also in the targets' {@code Inputs}
 * folders. Before the fixes in {@code JsonSchemas} and {@code JsonGrammar}, the accepted ones led the grammar into a
 * dead end (only the end-of-turn token left, so the answer was cut short and did not parse), accepted a document
 * that does not validate, or threw from the grammar during generation instead of at conversion.
 */
class JsonSchemaFindingsTest {

    @ParameterizedTest
    @ValueSource(strings = {
            // required keys without properties: "{}" was produced (fuzzing)
            "{\"type\":\"object\",\"required\":[\"a\",\"b\"]}",
            // a required key not among the properties: the object could never close (dead end)
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"b\"]}",
            // minItems / minLength above the default limits: unreachable (dead end)
            "{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"minItems\":5}",
            "{\"type\":\"string\",\"minLength\":9}",
            // minItems without a type was ignored: [0] produced (fuzzing)
            "{\"typs\":{\"type\":\"number\"},\"minItems\":2}",
            // a nested $defs of the same name replaced the root's: the wrong schema was enforced
            "{\"$defs\":{\"a\":{\"type\":\"integer\"}},\"type\":\"object\",\"properties\":{\"x\":{\"$defs\":{\"a\":{\"type\":\"string\"}},"
                    + "\"type\":\"null\"},\"y\":{\"$ref\":\"#/$defs/a\"}},\"required\":[\"y\"]}",
            // enum values and keys with characters the vocabulary has no token for (only byte tokens): dead end
            "{\"enum\":[\"café\",\"naïve\"]}",
            "{\"type\":\"object\",\"properties\":{\"größe\":{\"type\":\"integer\"}},\"required\":[\"größe\"]}"})
    void acceptedSchemasNowWalkToValidJson(String schema) throws Exception {
        SchemaNode node = SchemaFuzz.convertOrRefuse(schema);
        assertThat(node).as("accepted").isNotNull();
        for (long seed = 0; seed < 20; seed++) {
            JsonSchemaWalkFuzzTest.check(schema, JsonSchemaWalkFuzzTest.walk(node, new Random(seed)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // a broken definition was converted lazily: the IllegalArgumentException came from the grammar, mid-generation (fuzzing)
            "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integkr\"}}}},\"$ref\":\"#/$defs/node\"}",
            // reference cycles without a value in between: StackOverflowError in the grammar
            "{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}",
            "{\"$defs\":{\"a\":{\"anyOf\":[{\"$ref\":\"#/$defs/b\"},{\"type\":\"null\"}]},\"b\":{\"oneOf\":[{\"$ref\":\"#/$defs/a\"}]}},\"$ref\":\"#/$defs/a\"}",
            // schemas no value matches: accepted, then a dead end at the first character
            "{\"type\":\"array\",\"minItems\":3,\"maxItems\":1}",
            "{\"enum\":[]}",
            "{\"anyOf\":[]}",
            "{\"type\":[]}",
            // no finite value (requires itself): the grammar never let the document end
            "{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#/$defs/n\"}},\"required\":[\"next\"]}},\"$ref\":\"#/$defs/n\"}",
            "{\"type\":\"object\",\"required\":[\"a\"],\"additionalProperties\":false}"})
    void unusableSchemasAreRefusedAtConversion(String schema) {
        assertThatThrownBy(() -> org.gptq4j.langchain4j.constraint.JsonSchemas.fromJson(schema, SchemaFuzz.LIMITS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JSON schema");
    }
}
