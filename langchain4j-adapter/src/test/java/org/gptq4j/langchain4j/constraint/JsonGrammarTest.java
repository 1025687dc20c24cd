package org.gptq4j.langchain4j.constraint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        SchemaNode any = JsonSchemas.anyObject(LIMITS);
        assertThat(feed(any, "{\"x\":[1,true,null,\"s\"],\"y\":{}}").isComplete()).isTrue();
        assertThat(feed(any, "\"just a string\"").isDead()).isTrue();
        assertThat(feed(any, "[").isDead()).as("JSON mode means a top-level object, never an array").isTrue();
    }

    @Test
    void the_configured_limits_bound_numbers_free_keys_and_free_members() {
        GrammarLimits small = new GrammarLimits(3, 2, 2, 2);
        SchemaNode integer = JsonSchemas.fromJson("{\"type\":\"integer\"}", small);
        assertThat(feed(integer, "12").isDead()).isFalse();
        assertThat(feed(integer, "123").isDead()).as("3 digits, 2 allowed").isTrue();
        SchemaNode any = JsonSchemas.anyObject(small);
        assertThat(feed(any, "{\"abc\":1,\"d\":2}").isComplete()).isTrue();
        assertThat(feed(any, "{\"abcd\"").isDead()).as("key of 4 characters, 3 allowed").isTrue();
        assertThat(feed(any, "{\"a\":1,\"b\":2,").isDead()).as("a third member, 2 allowed").isTrue();
        assertThat(feed(any, "{\"a\":\"abcd\"").isDead()).as("free-form string of 4 characters").isTrue();
        assertThat(feed(any, "{\"a\":123").isDead()).as("free-form number of 3 digits").isTrue();
        assertThat(feed(JsonSchemas.anyObject(GrammarLimits.DEFAULT), "{\"a\":1234567890").isDead())
                .as("by default integers fit a Java int").isTrue();
    }

    private static boolean accepts(SchemaNode schema, String text) {
        GrammarState state = feed(schema, text);
        return !state.isDead() && state.isAccepting();
    }

    private static SchemaNode schema(String json) {
        return JsonSchemas.fromJson(json, LIMITS);
    }

    @Test
    void minimum_and_maximum_bound_integers_while_they_are_written() {
        SchemaNode days = schema("{\"type\":\"integer\",\"minimum\":1,\"maximum\":14}");
        for (String ok : new String[] {"1", "9", "10", "14"}) assertThat(accepts(days, ok)).as(ok).isTrue();
        for (String bad : new String[] {"0", "-1", "15", "140", "1.5"}) assertThat(accepts(days, bad)).as(bad).isFalse();
        assertThat(feed(days, "2").isDead()).as("2 can not become 20..29").isFalse();
        assertThat(feed(days, "2").feed('0').isDead()).as("20 is above 14 and only grows").isTrue();
        assertThat(feed(days, "-").isDead()).as("no negative value is admitted").isTrue();
        assertThat(feed(days, "0").isDead()).as("0 is below 1 and can not grow").isTrue();
    }

    @Test
    void exclusive_bounds_in_both_drafts_and_negative_ranges() {
        SchemaNode open = schema("{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":1}");
        assertThat(accepts(open, "0.5")).isTrue();
        assertThat(accepts(open, "0")).isFalse();
        assertThat(accepts(open, "1")).isFalse();
        assertThat(accepts(open, "0.0")).isFalse();
        assertThat(accepts(open, "0.001")).isTrue();
        assertThat(feed(open, "0.5e1").isDead()).as("bounded numbers have no exponent").isTrue();
        SchemaNode draft4 = schema("{\"type\":\"integer\",\"minimum\":-10,\"exclusiveMinimum\":true,\"maximum\":-2}");
        assertThat(accepts(draft4, "-10")).isFalse();
        assertThat(accepts(draft4, "-9")).isTrue();
        assertThat(accepts(draft4, "-2")).isTrue();
        assertThat(accepts(draft4, "-1")).isFalse();
        assertThat(accepts(draft4, "3")).isFalse();
    }

    @Test
    void multiple_of_steps_integers_and_decimals() {
        SchemaNode five = schema("{\"type\":\"integer\",\"multipleOf\":5,\"minimum\":0,\"maximum\":100}");
        assertThat(accepts(five, "0")).isTrue();
        assertThat(accepts(five, "35")).isTrue();
        assertThat(accepts(five, "37")).isFalse();
        assertThat(feed(five, "3").isDead()).isFalse();
        assertThat(accepts(five, "3")).as("3 is no multiple of 5, though 30 and 35 are").isFalse();
        SchemaNode cents = schema("{\"type\":\"number\",\"multipleOf\":0.25}");
        assertThat(accepts(cents, "1.75")).isTrue();
        assertThat(accepts(cents, "-0.5")).isTrue();
        assertThat(accepts(cents, "1.3")).isFalse();
        assertThat(feed(cents, "1.3").isDead()).as("no multiple of 0.25 starts with 1.3").isTrue();
    }

    @Test
    void contradictory_ranges_are_refused_when_the_schema_is_read() {
        assertThatThrownBy(() -> schema("{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no value can match");
        assertThatThrownBy(() -> schema("{\"type\":\"integer\",\"minimum\":1.2,\"maximum\":1.8}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no value can match");
        assertThatThrownBy(() -> schema("{\"type\":\"integer\",\"multipleOf\":0}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multipleOf");
    }

    @Test
    void patterns_of_the_common_subset_are_enforced_character_by_character() {
        SchemaNode code = schema("{\"type\":\"string\",\"pattern\":\"^[A-Z]{2}-\\\\d{3,4}$\"}");
        assertThat(accepts(code, "\"DE-123\"")).isTrue();
        assertThat(accepts(code, "\"DE-1234\"")).isTrue();
        assertThat(accepts(code, "\"DE-12\"")).isFalse();
        assertThat(feed(code, "\"de").isDead()).isTrue();
        assertThat(feed(code, "\"DE-12345").isDead()).isTrue();
        SchemaNode choice = schema("{\"type\":\"string\",\"pattern\":\"^(?:yes|no)!?$\"}");
        assertThat(accepts(choice, "\"yes\"")).isTrue();
        assertThat(accepts(choice, "\"no!\"")).isTrue();
        assertThat(accepts(choice, "\"maybe\"")).isFalse();
        SchemaNode unanchored = schema("{\"type\":\"string\",\"pattern\":\"[0-9]\"}");
        assertThat(accepts(unanchored, "\"abc7xyz\"")).as("JSON Schema patterns search").isTrue();
        assertThat(accepts(unanchored, "\"abc\"")).isFalse();
        SchemaNode quoted = schema("{\"type\":\"string\",\"pattern\":\"^[^x]+$\"}");
        assertThat(accepts(quoted, "\"a\\\"b\"")).as("an escaped quote is matched as the quote").isTrue();
        assertThat(feed(quoted, "\"\\u0041").isDead()).as("no \\u escapes under a pattern").isTrue();
    }

    @Test
    void unsupported_patterns_are_refused_naming_the_construct() {
        for (String pattern : new String[] {"^(a)\\\\1$", "^(?=a)a$", "\\\\bword", "a^b", "\\\\p{L}"}) {
            assertThatThrownBy(() -> schema("{\"type\":\"string\",\"pattern\":\"" + pattern + "\"}")).as(pattern)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not support");
        }
        assertThatThrownBy(() -> schema("{\"type\":\"string\",\"pattern\":\"^a{5}$\",\"maxLength\":3}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no value can match");
    }

    @Test
    void formats_date_date_time_email_and_uuid() {
        SchemaNode date = schema("{\"type\":\"string\",\"format\":\"date\"}");
        assertThat(accepts(date, "\"2024-02-29\"")).isTrue();
        assertThat(accepts(date, "\"2024-13-01\"")).isFalse();
        assertThat(accepts(date, "\"24-1-1\"")).isFalse();
        SchemaNode dateTime = schema("{\"type\":\"string\",\"format\":\"date-time\"}");
        assertThat(accepts(dateTime, "\"2024-02-29T23:59:07Z\"")).isTrue();
        assertThat(accepts(dateTime, "\"2024-02-29T10:00:00.123+02:00\"")).isTrue();
        assertThat(accepts(dateTime, "\"2024-02-29T24:00:00Z\"")).isFalse();
        assertThat(accepts(dateTime, "\"2024-02-29 10:00\"")).isFalse();
        SchemaNode email = schema("{\"type\":\"string\",\"format\":\"email\"}");
        assertThat(accepts(email, "\"ann.lee+x@example.co.uk\"")).isTrue();
        assertThat(accepts(email, "\"ann@localhost\"")).isFalse();
        assertThat(accepts(email, "\"no at sign\"")).isFalse();
        SchemaNode uuid = schema("{\"type\":\"string\",\"format\":\"uuid\"}");
        assertThat(accepts(uuid, "\"123e4567-e89b-12d3-a456-426614174000\"")).isTrue();
        assertThat(accepts(uuid, "\"123e4567e89b12d3a456426614174000\"")).isFalse();
        SchemaNode uri = schema("{\"type\":\"string\",\"format\":\"uri\"}");
        assertThat(accepts(uri, "\"anything\"")).as("other formats are annotations").isTrue();
    }
}
