package org.gptq4j.langchain4j.constraint;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.gptq4j.langchain4j.constraint.JsonGrammar.ArrayFrame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Frame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.FreeKeyFrame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.KeyFrame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Literal;
import org.gptq4j.langchain4j.constraint.JsonGrammar.NumberFrame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.ObjectFrame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Repeat;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Spaces;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Stack;
import org.gptq4j.langchain4j.constraint.JsonGrammar.StringFrame;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Value;
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
 * The fewest characters that complete a parse: how close a {@link GrammarState} is to a complete sentence. With it
 * {@link GrammarConstraint} closes strings, arrays and objects before the token budget runs out: once the budget
 * is short, only tokens after which the sentence can still be completed in the tokens left are allowed (each token
 * writes at least one character). One instance serves one request (it caches per schema node).
 */
final class ClosingDistance {
    /** Where a schema has no finite value reachable (refused at conversion; a guard against loops here). */
    static final int UNREACHABLE = 1 << 20;

    private final Map<SchemaNode, Integer> lengths = new IdentityHashMap<>();

    /** The fewest characters after which {@code state} accepts; {@link #UNREACHABLE} when it is dead. */
    int of(GrammarState state) {
        int best = UNREACHABLE;
        for (Stack stack : state.stacks()) best = Math.min(best, of(stack));
        return best;
    }

    int of(Stack stack) {
        long sum = 0;
        for (Stack s = stack; s != null; s = s.below()) sum += frame(s.top());
        return (int) Math.min(sum, UNREACHABLE);
    }

    private int frame(Frame frame) {
        return switch (frame) {
            case Literal l -> l.candidates().stream().mapToInt(c -> c.length() - l.pos()).min().orElse(0);
            case Spaces s -> 0;
            case Repeat r -> 0;
            case Value v -> length(v.schema());
            case ObjectFrame o -> object(o);
            case KeyFrame k -> frame(k.literal()) + 1 + k.object().nextKeys().stream()
                    .mapToInt(key -> length(k.object().valueSchema(key)) + object(k.object().withKey(key).afterValue()))
                    .min().orElse(0);
            case FreeKeyFrame f -> frame(f.string()) + 1 + length(f.object().valueSchema("*")) + 1;
            case ArrayFrame a -> {
                int items = Math.max(0, a.schema().minItems() - a.count());
                int item = length(a.schema().items());
                // after '[' the first item needs no comma; after an item each further one does
                yield a.opened() ? items * item + Math.max(0, items - 1) + 1 : items * (item + 1) + 1;
            }
            case StringFrame s -> s.remaining();
            case NumberFrame n -> n.canPop() ? 0 : 1;
        };
    }

    /** What an object still needs: its missing required members (with commas) and the closing brace. */
    private int object(ObjectFrame o) {
        return switch (o.phase()) {
            case ObjectFrame.COLON -> 1 + length(o.valueSchema(o.key())) + object(o.afterValue());
            default -> {
                List<String> missing = o.missingForCompletion();
                boolean afterComma = o.phase() == ObjectFrame.BEFORE_KEY;
                if (missing.isEmpty() && afterComma) {
                    // a member must follow the comma: the cheapest one
                    if (o.schema() instanceof FreeObjectNode free) yield 2 + 1 + length(free.values()) + 1;
                    yield o.nextKeys().stream().mapToInt(k -> member(o, k)).min().orElse(0) + 1;
                }
                int sum = 1; // '}'
                for (int i = 0; i < missing.size(); i++) {
                    sum += member(o, missing.get(i));
                    if (i > 0 || o.phase() == ObjectFrame.AFTER_VALUE) sum += 1; // ','
                }
                yield sum;
            }
        };
    }

    private int member(ObjectFrame o, String key) {
        return JsonGrammar.escapeKey(key).length() + 3 + length(o.valueSchema(key)); // "key":value
    }

    /** The length of the shortest JSON text of {@code schema}. */
    int length(SchemaNode schema) {
        Integer known = lengths.get(schema);
        if (known != null) return known;
        lengths.put(schema, UNREACHABLE); // a reference cycle in progress
        int length = switch (schema) {
            case ObjectNode o -> {
                int sum = 2;
                List<String> keys = ObjectFrame.membersForCompletion(o, List.of());
                for (String k : keys) sum += JsonGrammar.escapeKey(k).length() + 3 + length(o.properties().get(k));
                yield sum + Math.max(0, keys.size() - 1);
            }
            case FreeObjectNode f -> 2;
            case ArrayNode a -> 2 + a.minItems() * length(a.items()) + Math.max(0, a.minItems() - 1);
            case StringNode s -> 2 + s.minChars();
            case NumberNode n -> n.shortestLength();
            case BooleanNode b -> 4;
            case NullNode n -> 4;
            case EnumNode e -> e.jsonLiterals().stream().mapToInt(String::length).min().orElse(UNREACHABLE);
            case AnyOfNode any -> any.alternatives().stream().mapToInt(this::length).min().orElse(UNREACHABLE);
            case RefNode ref -> length(ref.resolve());
            case AnyNode any -> 1;
        };
        length = Math.min(length, UNREACHABLE);
        lengths.put(schema, length);
        return length;
    }
}
