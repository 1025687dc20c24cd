package org.gptq4j.langchain4j.constraint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.gptq4j.langchain4j.constraint.SchemaNode.AnyNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.AnyOfNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.ArrayNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.BooleanNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.EnumNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.FreeObjectNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.NullNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.NumberNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.ObjectNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.RefNode;
import org.gptq4j.langchain4j.constraint.SchemaNode.StringNode;

/**
 * Converts JSON Schema (LangChain4j's {@link JsonSchemaElement}s, or raw schema text) into the
 * {@link SchemaNode} tree that {@link JsonGrammar} enforces.
 *
 * <p>Honoured: {@code type} (one or several), {@code properties}, {@code required}, {@code enum},
 * {@code const}, {@code items}, {@code minItems}/{@code maxItems}, {@code minLength}/{@code maxLength},
 * {@code anyOf}/{@code oneOf}, {@code $ref} into {@code $defs}/{@code definitions}. Ignored (the output
 * may violate them): {@code pattern}, {@code format}, numeric ranges, {@code additionalProperties: true}
 * with declared properties (only declared properties are produced).
 */
public final class JsonSchemas {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GrammarLimits limits;
    private final Map<String, JsonNode> definitions = new HashMap<>();
    private final Map<String, SchemaNode> resolved = new HashMap<>();

    private JsonSchemas(GrammarLimits limits) {
        this.limits = limits;
    }

    /** The grammar tree of a LangChain4j schema element. */
    public static SchemaNode from(JsonSchemaElement element, GrammarLimits limits) {
        if (element instanceof JsonRawSchema raw) return fromJson(raw.schema(), limits);
        return fromTree(JSON.valueToTree(JsonSchemaElementUtils.toMap(element)), limits);
    }

    /** The grammar tree of raw JSON Schema text. */
    public static SchemaNode fromJson(String schema, GrammarLimits limits) {
        try {
            return fromTree(JSON.readTree(schema), limits);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON schema: " + e.getOriginalMessage(), e);
        }
    }

    /** The grammar tree of a parsed JSON Schema. */
    public static SchemaNode fromTree(JsonNode schema, GrammarLimits limits) {
        JsonSchemas converter = new JsonSchemas(limits);
        converter.collectDefinitions(schema);
        return converter.convert(schema);
    }

    /** Free-form JSON whose root is an object or an array (JSON mode without a schema). */
    public static SchemaNode anyObjectOrArray(GrammarLimits limits) {
        AnyNode inner = new AnyNode(Math.max(0, limits.maxDepth() - 1), limits);
        return new AnyOfNode(List.of(new FreeObjectNode(inner, limits.maxStringLength(), limits.maxArrayItems()),
                new ArrayNode(inner, 0, limits.maxArrayItems())));
    }

    private void collectDefinitions(JsonNode node) {
        if (node == null || !node.isContainerNode()) return;
        for (String key : new String[] {"$defs", "definitions"}) {
            JsonNode defs = node.get(key);
            if (defs != null && defs.isObject()) {
                defs.properties().forEach(e -> definitions.put(e.getKey(), e.getValue()));
            }
        }
        for (JsonNode child : node) collectDefinitions(child);
    }

    private SchemaNode convert(JsonNode schema) {
        if (schema == null || schema.isBoolean() || schema.isEmpty()) {
            return new AnyNode(limits.maxDepth(), limits);
        }
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            String name = ref.substring(ref.lastIndexOf('/') + 1);
            if (!definitions.containsKey(name)) {
                throw new IllegalArgumentException("JSON schema reference not found: " + ref);
            }
            return new RefNode(name, () -> resolved.computeIfAbsent(name, n -> convert(definitions.get(n))));
        }
        if (schema.has("const")) {
            return new EnumNode(List.of(schema.get("const").toString()));
        }
        if (schema.has("enum")) {
            List<String> literals = new ArrayList<>();
            schema.get("enum").forEach(v -> literals.add(v.toString()));
            return new EnumNode(literals);
        }
        for (String key : new String[] {"anyOf", "oneOf"}) {
            if (schema.has(key)) {
                List<SchemaNode> alternatives = new ArrayList<>();
                schema.get(key).forEach(alternative -> alternatives.add(convert(alternative)));
                return alternatives.size() == 1 ? alternatives.getFirst() : new AnyOfNode(alternatives);
            }
        }
        JsonNode type = schema.get("type");
        if (type == null) {
            if (schema.has("properties")) return convertTyped("object", schema);
            if (schema.has("items")) return convertTyped("array", schema);
            return new AnyNode(limits.maxDepth(), limits);
        }
        if (type.isArray()) {
            List<SchemaNode> alternatives = new ArrayList<>();
            type.forEach(t -> alternatives.add(convertTyped(t.asText(), schema)));
            return alternatives.size() == 1 ? alternatives.getFirst() : new AnyOfNode(alternatives);
        }
        return convertTyped(type.asText(), schema);
    }

    private SchemaNode convertTyped(String type, JsonNode schema) {
        return switch (type) {
            case "object" -> convertObject(schema);
            case "array" -> new ArrayNode(
                    convert(schema.get("items")),
                    schema.path("minItems").asInt(0),
                    schema.has("maxItems") ? schema.get("maxItems").asInt() : limits.maxArrayItems());
            case "string" -> new StringNode(
                    schema.path("minLength").asInt(0),
                    schema.has("maxLength") ? schema.get("maxLength").asInt() : limits.maxStringLength());
            case "integer" -> new NumberNode(true, limits.maxNumberDigits());
            case "number" -> new NumberNode(false, limits.maxNumberDigits());
            case "boolean" -> new BooleanNode();
            case "null" -> new NullNode();
            default -> throw new IllegalArgumentException("unsupported JSON schema type: " + type);
        };
    }

    private SchemaNode convertObject(JsonNode schema) {
        JsonNode properties = schema.get("properties");
        if (properties == null || properties.isEmpty()) {
            JsonNode additional = schema.get("additionalProperties");
            if (additional != null && additional.isBoolean() && !additional.asBoolean()) {
                return new ObjectNode(Map.of(), Set.of(), false);
            }
            return new FreeObjectNode(additional != null && additional.isObject()
                    ? convert(additional)
                    : new AnyNode(Math.max(0, limits.maxDepth() - 1), limits),
                    limits.maxStringLength(), limits.maxArrayItems());
        }
        Map<String, SchemaNode> converted = new LinkedHashMap<>();
        properties.properties().forEach(e -> converted.put(e.getKey(), convert(e.getValue())));
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        return new ObjectNode(converted, required, false);
    }
}
