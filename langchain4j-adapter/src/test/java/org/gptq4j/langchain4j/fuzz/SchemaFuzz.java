package org.gptq4j.langchain4j.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import org.gptq4j.langchain4j.constraint.GrammarLimits;
import org.gptq4j.langchain4j.constraint.JsonSchemas;
import org.gptq4j.langchain4j.constraint.SchemaNode;
import org.gptq4j.langchain4j.constraint.VocabularyIndex;
import org.gptq4j.testing.Fixtures;
import org.gptq4j.tokenizer.Tokenizer;

/** What the JSON-schema fuzz targets share: the real stories260K vocabulary, small limits, and the error contract. */
final class SchemaFuzz {
    private SchemaFuzz() {}

    static final ObjectMapper JSON = new ObjectMapper();
    static final Tokenizer TOKENIZER = Tokenizer.fromModelFolder(Fixtures.model(Fixtures.STORIES, "main"));
    static final VocabularyIndex VOCABULARY = VocabularyIndex.of(TOKENIZER);
    static final Set<Integer> END = Set.of(TOKENIZER.eosId());
    /** Small bounds so that a uniform random walk (which almost never picks the closing token) stays short. */
    static final GrammarLimits LIMITS = new GrammarLimits(6, 3, 2, 3);

    /**
     * {@link JsonSchemas#fromJson}: a {@link SchemaNode}, or the documented refusal, an
     * {@link IllegalArgumentException} with a message ({@code null} then). Anything else escapes as a finding.
     */
    static SchemaNode convertOrRefuse(String schema) {
        try {
            return JsonSchemas.fromJson(schema, LIMITS);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("an IllegalArgumentException without a message", e);
            }
            return null;
        }
    }

    /** The keywords {@link JsonSchemas} honours (its class comment); the others are documented as not enforced. */
    private static final Set<String> HONOURED = Set.of("type", "properties", "required", "enum", "const", "items",
            "minItems", "maxItems", "minLength", "maxLength", "anyOf", "oneOf", "$ref", "$defs", "definitions",
            "additionalProperties");

    /**
     * The schema as the grammar promises to enforce it, for the independent validator: keywords outside
     * {@link #HONOURED} removed, and {@code oneOf} read as {@code anyOf} (the grammar can not exclude a value that
     * matches two alternatives).
     */
    static JsonNode honouredPart(JsonNode schema) {
        if (!schema.isObject()) return schema;
        ObjectNode out = JSON.createObjectNode();
        schema.properties().forEach(e -> {
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (!HONOURED.contains(key)) return;
            switch (key) {
                case "properties", "$defs", "definitions" -> {
                    if (value.isObject()) {
                        ObjectNode map = out.putObject(key);
                        value.properties().forEach(p -> map.set(p.getKey(), honouredPart(p.getValue())));
                    } else out.set(key, value);
                }
                case "items", "additionalProperties" -> out.set(key, honouredPart(value));
                case "anyOf", "oneOf" -> {
                    if (value.isArray()) {
                        ArrayNode list = JSON.createArrayNode();
                        value.forEach(v -> list.add(honouredPart(v)));
                        out.set(out.has("anyOf") ? key : "anyOf", list);
                    } else out.set(key, value);
                }
                default -> out.set(key, value);
            }
        });
        return out;
    }
}
