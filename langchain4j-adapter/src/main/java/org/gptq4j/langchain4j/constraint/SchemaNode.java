package org.gptq4j.langchain4j.constraint;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The subset of JSON Schema that constrained decoding enforces, as an immutable tree. Built by
 * {@link JsonSchemas} from LangChain4j schema elements or raw JSON Schema text.
 */
public sealed interface SchemaNode {

    /** An object; only {@code properties} may appear (each at most once), all {@code required} ones must. */
    record ObjectNode(Map<String, SchemaNode> properties, Set<String> required, boolean ordered) implements SchemaNode {
        public ObjectNode {
            properties = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(properties));
            required = Set.copyOf(required);
        }
    }

    /**
     * An object with any keys (up to {@code maxKeyLength} characters), whose values are {@code values}, with at
     * most {@code maxMembers} members.
     */
    record FreeObjectNode(SchemaNode values, int maxKeyLength, int maxMembers) implements SchemaNode {}

    /** An array of {@code items}, between {@code minItems} and {@code maxItems} long. */
    record ArrayNode(SchemaNode items, int minItems, int maxItems) implements SchemaNode {}

    /**
     * A string of {@code minLength} to {@code maxLength} characters (escapes count as one), matching {@code pattern}
     * unless it is {@code null} (with a pattern, {@code \\u} escapes are not written).
     */
    record StringNode(int minLength, int maxLength, StringPattern pattern) implements SchemaNode {
        public StringNode(int minLength, int maxLength) {
            this(minLength, maxLength, null);
        }

        /** The fewest characters between the quotes. */
        int minChars() {
            return pattern == null ? minLength : Math.max(minLength, pattern.minLength());
        }
    }

    /**
     * A JSON number; integers only when {@code integer}. Its integer part, fraction and exponent have at most
     * {@code maxDigits} digits each. With {@code bounds} (else {@code null}) it is in their range and a multiple of
     * their step, and has no exponent.
     */
    record NumberNode(boolean integer, int maxDigits, NumberBounds bounds) implements SchemaNode {
        public NumberNode(boolean integer, int maxDigits) {
            this(integer, maxDigits, null);
        }

        /** The length of the shortest number this node admits. */
        int shortestLength() {
            return bounds == null ? 1 : bounds.shortestLength(integer, maxDigits);
        }
    }

    /** {@code true} or {@code false}. */
    record BooleanNode() implements SchemaNode {}

    /** {@code null}. */
    record NullNode() implements SchemaNode {}

    /** One of a fixed set of values, each given as its exact JSON text (e.g. {@code "\"red\""}, {@code "1"}). */
    record EnumNode(List<String> jsonLiterals) implements SchemaNode {
        public EnumNode {
            jsonLiterals = List.copyOf(jsonLiterals);
        }
    }

    /** Any one of the alternatives. */
    record AnyOfNode(List<SchemaNode> alternatives) implements SchemaNode {
        public AnyOfNode {
            alternatives = List.copyOf(alternatives);
        }
    }

    /** Any JSON value, nested at most {@code depth} containers deep, its strings, containers and numbers within {@code limits}. */
    record AnyNode(int depth, GrammarLimits limits) implements SchemaNode {}

    /**
     * A reference ({@code $ref}), resolved lazily so that recursive schemas stay finite. Two references are
     * equal when they name the same definition.
     */
    final class RefNode implements SchemaNode {
        private final String name;
        private final Supplier<SchemaNode> target;

        public RefNode(String name, Supplier<SchemaNode> target) {
            this.name = name;
            this.target = target;
        }

        public SchemaNode resolve() {
            SchemaNode node = target.get();
            if (node == null) throw new IllegalArgumentException("unresolved JSON schema reference: " + name);
            return node;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RefNode other && other.name.equals(name);
        }

        @Override
        public int hashCode() {
            return name.hashCode();
        }

        @Override
        public String toString() {
            return "$ref:" + name;
        }
    }
}
