package org.gptq4j.langchain4j.constraint;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonGrammarTest {
    private static final GrammarLimits LIMITS = GrammarLimits.DEFAULT;
    private static final SchemaNode PERSON = JsonSchemas.fromJson("""
            {"type":"object","properties":{
               "name":{"type":"string","maxLength":5},
               "age":{"type":"integer"},
               "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2},
               "score":{"type":["number","null"]}},
             "required":["name","age"]}""", LIMITS);

    private static GrammarState feed(SchemaNode schema, String text) {
        return GrammarState.start(schema).feed(text);
    }

    @Test
    void accepts_valid_documents_and_completes_at_the_closing_brace() {
        for (String ok : new String[] {
                "{\"name\":\"Ann\",\"age\":3}",
                " {\"age\": -12, \"name\":\"\"}",
                "{\"name\":\"a\\\"b\",\"age\":0,\"tags\":[\"a\",\"b\"],\"score\":1.5e3}",
                "{\"name\":\"x\",\"age\":1,\"score\":null}"}) {
            GrammarState state = feed(PERSON, ok);
            assertThat(state.isDead()).as(ok).isFalse();
            assertThat(state.isComplete()).as(ok).isTrue();
        }
    }

    @Test
    void refuses_what_the_schema_forbids() {
        for (String bad : new String[] {
                "{\"name\":\"Ann\"}",                       // age missing
                "{\"nick\":",                                // undeclared key
                "{\"name\":\"Ann\",\"name\"",               // duplicate key
                "{\"name\":\"toolong\"",                     // maxLength 5
                "{\"age\":1.5",                              // integer
                "{\"age\":01",                               // leading zero
                "{\"name\":\"a\",\"age\":1,\"tags\":[\"c\"", // enum
                "{\"name\":\"a\",\"age\":1,\"tags\":[\"a\",\"a\",\"a\"", // maxItems
                "{  \"name\"",                               // two spaces
                "{\"name\":\"a\nb\""}) {                     // raw control character
            GrammarState state = feed(PERSON, bad);
            assertThat(state.isDead() || !state.isAccepting() && bad.endsWith("}"))
                    .as(bad).isTrue();
        }
    }

    @Test
    void numbers_stay_finite_doubles_at_most_two_exponent_digits() {
        SchemaNode number = new SchemaNode.NumberNode(false, 9);
        assertThat(feed(number, "9.5e99").isAccepting()).isTrue();
        assertThat(feed(number, "9.5e-99").isAccepting()).isTrue();
        assertThat(feed(number, "9e999").isDead()).as("1e999 would parse as Infinity").isTrue();
    }

    @Test
    void a_number_at_the_root_is_accepting_but_not_complete() {
        GrammarState state = feed(new SchemaNode.NumberNode(false, 9), "12.5");
        assertThat(state.isAccepting()).isTrue();
        assertThat(state.isComplete()).isFalse();
        assertThat(state.feed('x').isDead()).isTrue();
    }

    @Test
    void references_and_free_json() {
        SchemaNode tree = JsonSchemas.fromJson("""
                {"$defs":{"node":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},
                 "$ref":"#/$defs/node"}""", LIMITS);
        assertThat(feed(tree, "{\"kids\":[{\"kids\":[]},{}]}").isComplete()).isTrue();
        SchemaNode any = JsonSchemas.anyObjectOrArray(LIMITS);
        assertThat(feed(any, "{\"x\":[1,true,null,\"s\"],\"y\":{}}").isComplete()).isTrue();
        assertThat(feed(any, "\"just a string\"").isDead()).isTrue();
    }

    @Test
    void the_configured_limits_bound_numbers_free_keys_and_free_members() {
        GrammarLimits small = new GrammarLimits(3, 2, 2, 2);
        SchemaNode integer = JsonSchemas.fromJson("{\"type\":\"integer\"}", small);
        assertThat(feed(integer, "12").isDead()).isFalse();
        assertThat(feed(integer, "123").isDead()).as("3 digits, 2 allowed").isTrue();
        SchemaNode any = JsonSchemas.anyObjectOrArray(small);
        assertThat(feed(any, "{\"abc\":1,\"d\":2}").isComplete()).isTrue();
        assertThat(feed(any, "{\"abcd\"").isDead()).as("key of 4 characters, 3 allowed").isTrue();
        assertThat(feed(any, "{\"a\":1,\"b\":2,").isDead()).as("a third member, 2 allowed").isTrue();
        assertThat(feed(any, "[\"abcd\"").isDead()).as("free-form string of 4 characters").isTrue();
        assertThat(feed(any, "[123").isDead()).as("free-form number of 3 digits").isTrue();
        assertThat(feed(JsonSchemas.anyObjectOrArray(GrammarLimits.DEFAULT), "[1234567890").isDead())
                .as("by default integers fit a Java int").isTrue();
    }
}
