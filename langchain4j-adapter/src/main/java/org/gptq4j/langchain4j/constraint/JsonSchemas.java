package org.gptq4j.langchain4j.constraint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
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
 * {@code minimum}/{@code maximum}, {@code exclusiveMinimum}/{@code exclusiveMaximum} (numbers, or draft 4's
 * booleans), {@code multipleOf} ({@link NumberBounds}: a bounded number has no exponent), {@code pattern} (the
 * subset {@link StringPattern} describes; other patterns are refused), {@code format} {@code date},
 * {@code date-time}, {@code email} and {@code uuid} (other formats are annotations), {@code anyOf}/{@code oneOf},
 * {@code $ref} into {@code $defs}/{@code definitions}. Ignored (only declared properties are produced):
 * {@code additionalProperties: true} with declared properties. Contradictory keywords (a minimum above the
 * maximum, a pattern with no match within {@code maxLength}) are refused: no value could match.
 */
public final class JsonSchemas {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GrammarLimits limits;
    private final Map<String, JsonNode> definitions = new HashMap<>();
    private final Map<String, SchemaNode> resolved = new HashMap<>();
    private final Set<String> referenced = new java.util.LinkedHashSet<>();

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
        SchemaNode root = converter.convert(schema);
        converter.resolveAll();
        converter.refuseUnguardedCycles();
        converter.refuseInfinite();
        return root;
    }

    /**
     * Converts every referenced definition now, so that a broken one is refused here rather than thrown from the
     * grammar in the middle of a generation.
     */
    private void resolveAll() {
        for (boolean more = true; more; ) {
            more = false;
            for (String name : List.copyOf(referenced)) {
                if (!resolved.containsKey(name)) {
                    resolved.put(name, convert(definitions.get(name)));
                    more = true;
                }
            }
        }
    }

    /**
     * Refuses a definition that reaches itself through references and alternatives only ({@code a: {$ref: a}},
     * {@code a: {anyOf: [{$ref: a}, ...]}}): the grammar would recurse without reading a character.
     */
    private void refuseUnguardedCycles() {
        for (String name : referenced) unguarded(resolved.get(name), new java.util.ArrayList<>(List.of(name)));
    }

    /**
     * Refuses a definition with no finite value (an object that requires itself through references): the grammar
     * would never let the document end.
     */
    private void refuseInfinite() {
        Set<String> finite = new java.util.HashSet<>();
        for (boolean more = true; more; ) {
            more = false;
            for (String name : referenced) {
                if (!finite.contains(name) && finite(resolved.get(name), finite)) more = finite.add(name);
            }
        }
        for (String name : referenced) {
            if (!finite.contains(name)) {
                throw new IllegalArgumentException("JSON schema definition " + name + " has no finite value: it"
                        + " requires itself through references");
            }
        }
    }

    private static boolean finite(SchemaNode node, Set<String> finite) {
        return switch (node) {
            case RefNode ref -> finite.contains(ref.toString().substring("$ref:".length()));
            case AnyOfNode any -> any.alternatives().stream().anyMatch(a -> finite(a, finite));
            case ObjectNode o -> o.required().stream().allMatch(k -> finite(o.properties().get(k), finite));
            case ArrayNode a -> a.minItems() <= 0 || finite(a.items(), finite);
            default -> true;
        };
    }

    private void unguarded(SchemaNode node, List<String> path) {
        switch (node) {
            case RefNode ref -> {
                String name = ref.toString().substring("$ref:".length());
                if (path.contains(name)) {
                    throw new IllegalArgumentException("JSON schema reference cycle without a value in between: "
                            + String.join(" -> ", path) + " -> " + name);
                }
                path.add(name);
                unguarded(resolved.get(name), path);
                path.removeLast();
            }
            case AnyOfNode any -> any.alternatives().forEach(a -> unguarded(a, path));
            default -> { }
        }
    }

    /**
     * Free-form JSON whose root is an object (JSON mode without a schema: LangChain4j's {@code ResponseFormat.JSON}
     * and OpenAI's {@code json_object} mean an object, never an array or a scalar).
     */
    public static SchemaNode anyObject(GrammarLimits limits) {
        AnyNode inner = new AnyNode(Math.max(0, limits.maxDepth() - 1), limits);
        return new FreeObjectNode(inner, limits.maxStringLength(), limits.maxArrayItems());
    }

    private void collectDefinitions(JsonNode node) {
        if (node == null || !node.isContainerNode()) return;
        for (String key : new String[] {"$defs", "definitions"}) {
            JsonNode defs = node.get(key);
            if (defs != null && defs.isObject()) {
                defs.properties().forEach(e -> definitions.putIfAbsent(e.getKey(), e.getValue())); // the root's first
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
            referenced.add(name);
            return new RefNode(name, () -> resolved.computeIfAbsent(name, n -> convert(definitions.get(n))));
        }
        List<String> types = declaredTypes(schema);
        if (schema.has("const") || schema.has("enum")) {
            String key = schema.has("const") ? "const" : "enum";
            List<JsonNode> values = new ArrayList<>();
            if (key.equals("const")) values.add(schema.get("const"));
            else schema.get("enum").forEach(values::add);
            // Only the listed values that also have a declared type can ever validate.
            List<String> literals = new ArrayList<>();
            values.stream().filter(v -> types.isEmpty() || types.stream().anyMatch(t -> hasType(v, t)))
                    .forEach(v -> addLiteral(literals, v));
            if (literals.isEmpty()) {
                throw new IllegalArgumentException("JSON schema " + key + " has no value of type " + types + ": no value can match");
            }
            return new EnumNode(literals);
        }
        for (String key : new String[] {"anyOf", "oneOf"}) {
            if (schema.has(key)) {
                List<SchemaNode> alternatives = new ArrayList<>();
                schema.get(key).forEach(alternative -> alternatives.add(convert(alternative)));
                if (alternatives.isEmpty()) throw new IllegalArgumentException("JSON schema " + key + " without alternatives");
                return alternatives.size() == 1 ? alternatives.getFirst() : new AnyOfNode(alternatives);
            }
        }
        JsonNode type = schema.get("type");
        if (type == null) {
            if (schema.has("properties")) return convertTyped("object", schema);
            if (schema.has("items")) return convertTyped("array", schema);
            if (schema.has("minItems") || schema.has("maxItems") || schema.has("minLength") || schema.has("maxLength")
                    || schema.has("required")) {
                // no type: any value, but arrays and strings within the schema's bounds, objects with its required keys
                List<SchemaNode> alternatives = new ArrayList<>();
                for (String t : List.of("object", "array", "string", "number", "boolean", "null")) {
                    alternatives.add(convertTyped(t, schema));
                }
                return new AnyOfNode(alternatives);
            }
            return new AnyNode(limits.maxDepth(), limits);
        }
        if (type.isArray()) {
            List<SchemaNode> alternatives = new ArrayList<>();
            type.forEach(t -> alternatives.add(convertTyped(t.asText(), schema)));
            if (alternatives.isEmpty()) throw new IllegalArgumentException("JSON schema type list without types");
            return alternatives.size() == 1 ? alternatives.getFirst() : new AnyOfNode(alternatives);
        }
        return convertTyped(type.asText(), schema);
    }

    private SchemaNode convertTyped(String type, JsonNode schema) {
        return switch (type) {
            case "object" -> convertObject(schema);
            case "array" -> {
                int min = schema.path("minItems").asInt(0);
                // the limit bounds what the schema leaves open; it never makes a schema's own minimum unreachable
                int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : Math.max(min, limits.maxArrayItems());
                yield new ArrayNode(convert(schema.get("items")), min, checkRange("minItems", min, "maxItems", max));
            }
            case "string" -> convertString(schema);
            case "integer" -> convertNumber(schema, true);
            case "number" -> convertNumber(schema, false);
            case "boolean" -> new BooleanNode();
            case "null" -> new NullNode();
            default -> throw new IllegalArgumentException("unsupported JSON schema type: " + type);
        };
    }

    private SchemaNode convertString(JsonNode schema) {
        StringPattern pattern = null;
        if (schema.hasNonNull("pattern")) {
            if (schema.hasNonNull("format") && StringPattern.format(schema.get("format").asText()) != null) {
                throw new IllegalArgumentException("JSON schema with both pattern and format " + schema.get("format")
                        + " is not supported: give one of them");
            }
            pattern = StringPattern.compile(schema.get("pattern").asText());
        } else if (schema.hasNonNull("format")) {
            pattern = StringPattern.format(schema.get("format").asText());
        }
        int min = schema.path("minLength").asInt(0);
        int floor = pattern == null ? min : Math.max(min, pattern.minLength());
        // the limit bounds what the schema leaves open; it never makes the shortest match unreachable
        int max = schema.has("maxLength") ? schema.get("maxLength").asInt() : Math.max(floor, limits.maxStringLength());
        checkRange("minLength", min, "maxLength", max);
        if (pattern != null && pattern.minLength() > max) {
            throw new IllegalArgumentException("JSON schema pattern '" + pattern + "' has no match of at most " + max
                    + " characters: no value can match");
        }
        return new StringNode(min, max, pattern);
    }

    private SchemaNode convertNumber(JsonNode schema, boolean integer) {
        BigDecimal minimum = decimal(schema, "minimum");
        BigDecimal maximum = decimal(schema, "maximum");
        boolean exclusiveMinimum = false;
        boolean exclusiveMaximum = false;
        JsonNode exMin = schema.get("exclusiveMinimum");
        if (exMin != null && exMin.isBoolean()) {
            exclusiveMinimum = exMin.asBoolean(); // draft 4: applies to minimum
        } else if (exMin != null && exMin.isNumber()) {
            BigDecimal value = exMin.decimalValue();
            if (minimum == null || value.compareTo(minimum) >= 0) {
                minimum = value;
                exclusiveMinimum = true;
            }
        }
        JsonNode exMax = schema.get("exclusiveMaximum");
        if (exMax != null && exMax.isBoolean()) {
            exclusiveMaximum = exMax.asBoolean();
        } else if (exMax != null && exMax.isNumber()) {
            BigDecimal value = exMax.decimalValue();
            if (maximum == null || value.compareTo(maximum) <= 0) {
                maximum = value;
                exclusiveMaximum = true;
            }
        }
        BigDecimal multipleOf = decimal(schema, "multipleOf");
        if (minimum == null && maximum == null && multipleOf == null) return new NumberNode(integer, limits.maxNumberDigits());
        NumberBounds bounds = new NumberBounds(minimum, exclusiveMinimum, maximum, exclusiveMaximum, multipleOf);
        // a bound of more digits than the limit widens it: the schema's own range is the bound then
        int digits = limits.maxNumberDigits();
        for (BigDecimal bound : new BigDecimal[] {minimum, maximum}) {
            if (bound != null) digits = Math.max(digits, integerDigits(bound));
        }
        if (!integer && multipleOf != null && multipleOf.stripTrailingZeros().scale() > digits) {
            throw new IllegalArgumentException("JSON schema multipleOf " + multipleOf + " needs more than " + digits
                    + " fraction digits");
        }
        if (!bounds.feasible("", integer, digits)) {
            throw new IllegalArgumentException("JSON schema " + (integer ? "integer" : "number") + " range "
                    + schema + " admits no value of at most " + digits + " digits: no value can match");
        }
        return new NumberNode(integer, digits, bounds);
    }

    private static BigDecimal decimal(JsonNode schema, String key) {
        JsonNode v = schema.get(key);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw new IllegalArgumentException("JSON schema " + key + " must be a number, but was " + v);
        return v.decimalValue();
    }

    private static int integerDigits(BigDecimal value) {
        return value.abs().setScale(0, java.math.RoundingMode.CEILING).toPlainString().length();
    }

    /**
     * A value's JSON text, and the same with non-ASCII characters escaped when that differs: a vocabulary may lack
     * the characters (they can only be written as byte tokens, which a grammar can not check), never the escape.
     */
    private static final Set<String> KNOWN_TYPES = Set.of("object", "array", "string", "integer", "number", "boolean", "null");

    /** The schema's {@code type} names (empty when it has none); unknown names are refused. */
    private static List<String> declaredTypes(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type == null) return List.of();
        List<String> names = new ArrayList<>();
        if (type.isArray()) type.forEach(t -> names.add(t.asText()));
        else names.add(type.asText());
        for (String name : names) {
            if (!KNOWN_TYPES.contains(name)) throw new IllegalArgumentException("unsupported JSON schema type: " + name);
        }
        return names;
    }

    /** Whether a JSON value is of the JSON schema type {@code type}. */
    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber() || value.isNumber() && value.asDouble() == Math.rint(value.asDouble());
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            default -> false;
        };
    }

    private static void addLiteral(List<String> literals, JsonNode value) {
        String text = value.toString();
        literals.add(text);
        String ascii = JsonGrammar.asciiOnly(text);
        if (!ascii.equals(text)) literals.add(ascii);
    }

    private static int checkRange(String minName, int min, String maxName, int max) {
        if (max < min || max < 0) {
            throw new IllegalArgumentException("JSON schema " + minName + " " + min + " and " + maxName + " " + max
                    + ": no value can match");
        }
        return max;
    }

    private SchemaNode convertObject(JsonNode schema) {
        JsonNode properties = schema.get("properties");
        Set<String> required = new java.util.LinkedHashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        if (properties == null || !properties.isObject()) properties = JSON.createObjectNode();
        JsonNode additional = schema.get("additionalProperties");
        if (!required.isEmpty() && !properties.properties().stream().map(Map.Entry::getKey).toList().containsAll(required)) {
            // a required key the schema does not describe: its value is what additionalProperties allows
            if (additional != null && additional.isBoolean() && !additional.asBoolean()) {
                throw new IllegalArgumentException("JSON schema requires properties it does not allow: " + required);
            }
            com.fasterxml.jackson.databind.node.ObjectNode declared = ((com.fasterxml.jackson.databind.node.ObjectNode) properties).deepCopy();
            for (String key : required) {
                if (!declared.has(key)) declared.set(key, additional != null && additional.isObject() ? additional : JSON.createObjectNode());
            }
            properties = declared;
        }
        if (properties.isEmpty()) {
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
        return new ObjectNode(converted, required, false);
    }
}
