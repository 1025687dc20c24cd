package org.gptq4j.langchain4j.constraint;

import java.util.ArrayList;
import java.util.List;
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
 * A character-level pushdown recognizer for JSON restricted by a {@link SchemaNode}. Output is compact:
 * at most one whitespace character before a value or a key, none elsewhere, so that a model cannot loop
 * on whitespace. Every frame is an immutable record, so parse stacks compare by value and a
 * {@link GrammarState} can hold several of them (for {@code anyOf} and other ambiguities).
 */
public final class JsonGrammar {
    private JsonGrammar() {}

    /** One element of a parse stack: consumes characters, then pops itself. */
    public sealed interface Frame permits Literal, Spaces, Value, ObjectFrame, KeyFrame, FreeKeyFrame, ArrayFrame,
            StringFrame, NumberFrame, Repeat {
        /** Adds to {@code out} every stack that results from consuming {@code c} with this frame on top of {@code below}. */
        void feed(char c, Stack below, List<Stack> out);

        /** True when this frame may be popped without consuming anything more. */
        boolean canPop();
    }

    /** An immutable parse stack; {@code null} is the empty stack (the input is complete). */
    public record Stack(Frame top, Stack below) {
        static void feed(Stack stack, char c, List<Stack> out) {
            if (stack != null) stack.top.feed(c, stack.below, out);
        }

        static boolean accepting(Stack stack) {
            for (Stack s = stack; s != null; s = s.below) {
                if (!s.top.canPop()) return false;
            }
            return true;
        }

        /** The stack with {@code frames} pushed, the first on top. */
        public static Stack of(List<Frame> frames, Stack below) {
            Stack s = below;
            for (int i = frames.size() - 1; i >= 0; i--) s = new Stack(frames.get(i), s);
            return s;
        }
    }

    /** A JSON value matching {@code schema}, optionally preceded by one whitespace character. */
    public static Frame value(SchemaNode schema) {
        return new Value(schema, 1);
    }

    /** Exactly {@code text}. */
    public static Frame literal(String text) {
        if (text.isEmpty()) throw new IllegalArgumentException("empty literal");
        return new Literal(List.of(text), 0);
    }

    /** Up to {@code max} whitespace characters. */
    public static Frame spaces(int max) {
        return new Spaces(max);
    }

    /**
     * Zero or more further repetitions (at most {@code remaining}) of {@code body}; each repetition must
     * start with a character that {@code body} accepts.
     */
    public static Frame repeat(List<Frame> body, int remaining) {
        return new Repeat(List.copyOf(body), remaining);
    }

    // ---- frames ------------------------------------------------------------------------------------

    /** One of several exact texts; {@code pos} characters already matched. */
    record Literal(List<String> candidates, int pos) implements Frame {
        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            List<String> next = new ArrayList<>(candidates.size());
            boolean completed = false;
            for (String candidate : candidates) {
                if (candidate.charAt(pos) != c) continue;
                if (candidate.length() == pos + 1) completed = true;
                else next.add(candidate);
            }
            if (completed) out.add(below);
            if (!next.isEmpty()) out.add(new Stack(new Literal(next, pos + 1), below));
        }

        @Override
        public boolean canPop() {
            return false;
        }
    }

    /** Optional whitespace. */
    record Spaces(int remaining) implements Frame {
        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            if (isSpace(c) && remaining > 0) out.add(new Stack(new Spaces(remaining - 1), below));
            Stack.feed(below, c, out);
        }

        @Override
        public boolean canPop() {
            return true;
        }
    }

    /** A value yet to start, with up to {@code spaces} whitespace characters first. */
    record Value(SchemaNode schema, int spaces) implements Frame {
        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            if (isSpace(c)) {
                if (spaces > 0) out.add(new Stack(new Value(schema, spaces - 1), below));
                return;
            }
            start(schema, c, below, out);
        }

        @Override
        public boolean canPop() {
            return false;
        }
    }

    private static void start(SchemaNode schema, char c, Stack below, List<Stack> out) {
        switch (schema) {
            case ObjectNode o -> {
                if (c == '{') out.add(new Stack(new ObjectFrame(o, ObjectFrame.OPENED, List.of(), null), below));
            }
            case FreeObjectNode o -> {
                if (c == '{') out.add(new Stack(new ObjectFrame(o, ObjectFrame.OPENED, List.of(), null), below));
            }
            case ArrayNode a -> {
                if (c == '[') out.add(new Stack(new ArrayFrame(a, 0, true), below));
            }
            case StringNode s -> {
                if (c == '"') out.add(new Stack(StringFrame.start(s), below));
            }
            case NumberNode n -> NumberFrame.start(n).feed(c, below, out);
            case BooleanNode b -> new Literal(List.of("true", "false"), 0).feed(c, below, out);
            case NullNode n -> new Literal(List.of("null"), 0).feed(c, below, out);
            case EnumNode e -> new Literal(e.jsonLiterals(), 0).feed(c, below, out);
            case AnyOfNode any -> {
                for (SchemaNode alternative : any.alternatives()) start(alternative, c, below, out);
            }
            case RefNode ref -> start(ref.resolve(), c, below, out);
            case AnyNode any -> {
                GrammarLimits limits = any.limits();
                SchemaNode inner = new AnyNode(Math.max(0, any.depth() - 1), limits);
                if (any.depth() > 0) {
                    start(new FreeObjectNode(inner, limits.maxStringLength(), limits.maxArrayItems()), c, below, out);
                    start(new ArrayNode(inner, 0, limits.maxArrayItems()), c, below, out);
                }
                start(new StringNode(0, limits.maxStringLength()), c, below, out);
                start(new NumberNode(false, limits.maxNumberDigits()), c, below, out);
                start(new BooleanNode(), c, below, out);
                start(new NullNode(), c, below, out);
            }
        }
    }

    /**
     * An object being written. {@code schema} is an {@link ObjectNode} or a {@link FreeObjectNode};
     * {@code seen} lists the keys written so far, {@code key} the one whose value comes next.
     */
    record ObjectFrame(SchemaNode schema, int phase, List<String> seen, String key) implements Frame {
        static final int OPENED = 0;      // after '{': a key or '}'
        static final int BEFORE_KEY = 1;  // after ',': a key (one space allowed)
        static final int COLON = 2;       // after a key: ':'
        static final int AFTER_VALUE = 3; // ',' or '}'

        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            switch (phase) {
                case OPENED, BEFORE_KEY -> {
                    if (phase == BEFORE_KEY && isSpace(c) && key == null) {
                        // one space after the comma: remembered by setting key to "" until the quote comes
                        out.add(new Stack(new ObjectFrame(schema, BEFORE_KEY, seen, ""), below));
                    } else if (c == '"' && !nextKeys().isEmpty()) {
                        out.add(new Stack(keyFrame(), below));
                    } else if (c == '"' && schema instanceof FreeObjectNode free) {
                        out.add(new Stack(new FreeKeyFrame(this, new StringFrame(0, free.maxKeyLength(), 0, 0)), below));
                    } else if (c == '}' && phase == OPENED && requiredSatisfied()) {
                        out.add(below);
                    }
                }
                case COLON -> {
                    if (c == ':') {
                        ObjectFrame after = new ObjectFrame(schema, AFTER_VALUE, seen, null);
                        out.add(new Stack(new Value(valueSchema(key), 1), new Stack(after, below)));
                    }
                }
                case AFTER_VALUE -> {
                    if (c == ',' && (schema instanceof FreeObjectNode free ? seen.size() < free.maxMembers()
                            : !nextKeys().isEmpty())) {
                        out.add(new Stack(new ObjectFrame(schema, BEFORE_KEY, seen, null), below));
                    } else if (c == '}' && requiredSatisfied()) {
                        out.add(below);
                    }
                }
                default -> throw new IllegalStateException("object phase " + phase);
            }
        }

        private Frame keyFrame() {
            List<String> literals = new ArrayList<>();
            for (String k : nextKeys()) {
                literals.add(escapeKey(k) + '"');
                String ascii = asciiOnly(escapeKey(k));
                if (!ascii.equals(escapeKey(k))) literals.add(ascii + '"'); // for vocabularies without those characters
            }
            return new KeyFrame(this, new Literal(literals, 0));
        }

        /** The keys that may come next. */
        List<String> nextKeys() {
            if (!(schema instanceof ObjectNode o)) return List.of();
            List<String> keys = new ArrayList<>();
            for (String k : o.properties().keySet()) {
                if (seen.contains(k)) continue;
                keys.add(k);
                if (o.ordered()) break;
            }
            return keys;
        }

        boolean requiredSatisfied() {
            return !(schema instanceof ObjectNode o) || seen.containsAll(o.required());
        }

        SchemaNode valueSchema(String k) {
            return switch (schema) {
                case ObjectNode o -> o.properties().get(k);
                case FreeObjectNode f -> f.values();
                default -> throw new IllegalStateException();
            };
        }

        /** The frame once the value of {@link #key()} is written. */
        ObjectFrame afterValue() {
            return new ObjectFrame(schema, AFTER_VALUE, seen, null);
        }

        /** The keys still to write before the object may close, in an order they may be written in. */
        List<String> missingForCompletion() {
            return schema instanceof ObjectNode o ? membersForCompletion(o, seen) : List.of();
        }

        /**
         * The unwritten keys that a complete object needs: the missing required ones, and for an ordered object
         * every key before the last of them.
         */
        static List<String> membersForCompletion(ObjectNode o, List<String> seen) {
            List<String> keys = new ArrayList<>();
            List<String> pending = new ArrayList<>();
            for (String k : o.properties().keySet()) {
                if (seen.contains(k)) continue;
                if (o.ordered()) pending.add(k);
                if (o.required().contains(k)) {
                    if (o.ordered()) {
                        keys.addAll(pending);
                        pending.clear();
                    } else {
                        keys.add(k);
                    }
                }
            }
            return keys;
        }

        ObjectFrame withKey(String k) {
            List<String> newSeen = new ArrayList<>(seen);
            newSeen.add(k);
            return new ObjectFrame(schema, COLON, List.copyOf(newSeen), k);
        }

        @Override
        public boolean canPop() {
            return false;
        }
    }

    /** A declared key being written (after its opening quote), then back to the object. */
    record KeyFrame(ObjectFrame object, Literal literal) implements Frame {
        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            List<Stack> next = new ArrayList<>(2);
            literal.feed(c, null, next);
            for (Stack s : next) {
                if (s == null) {
                    // completed: find which key (the candidate whose last character was c at this position)
                    for (String candidate : literal.candidates()) {
                        if (candidate.length() == literal.pos() + 1 && candidate.charAt(literal.pos()) == c) {
                            String escaped = candidate.substring(0, candidate.length() - 1);
                            for (String k : object.nextKeys()) {
                                if (escapeKey(k).equals(escaped) || asciiOnly(escapeKey(k)).equals(escaped)) {
                                    out.add(new Stack(object.withKey(k), below));
                                }
                            }
                        }
                    }
                } else {
                    out.add(new Stack(new KeyFrame(object, (Literal) s.top()), below));
                }
            }
        }

        @Override
        public boolean canPop() {
            return false;
        }
    }

    /** A free-form key (any string) being written. */
    record FreeKeyFrame(ObjectFrame object, StringFrame string) implements Frame {
        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            List<Stack> next = new ArrayList<>(1);
            string.feed(c, null, next);
            for (Stack s : next) {
                if (s == null) out.add(new Stack(object.withKey("*"), below));
                else out.add(new Stack(new FreeKeyFrame(object, (StringFrame) s.top()), below));
            }
        }

        @Override
        public boolean canPop() {
            return false;
        }
    }

    /** An array with {@code count} items written; {@code opened} right after '['. */
    record ArrayFrame(ArrayNode schema, int count, boolean opened) implements Frame {
        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            if (c == ']' && count >= schema.minItems()) {
                out.add(below);
                return;
            }
            if (opened) {
                if (schema.maxItems() > 0) {
                    Stack after = new Stack(new ArrayFrame(schema, 1, false), below);
                    new Value(schema.items(), 0).feed(c, after, out);
                }
            } else if (c == ',' && count < schema.maxItems()) {
                Stack after = new Stack(new ArrayFrame(schema, count + 1, false), below);
                out.add(new Stack(new Value(schema.items(), 1), after));
            }
        }

        @Override
        public boolean canPop() {
            return false;
        }
    }

    /**
     * A string after its opening quote: {@code length} characters written; {@code escape} 0 outside an
     * escape, 1 after a backslash, 2-5 inside {@code \\uXXXX}. With a {@code pattern}, {@code states} are where its
     * automaton stands after the characters written (their decoded values); else both are {@code null}.
     */
    record StringFrame(int minLength, int maxLength, int length, int escape, StringPattern pattern,
                       java.util.BitSet states) implements Frame {
        StringFrame(int minLength, int maxLength, int length, int escape) {
            this(minLength, maxLength, length, escape, null, null);
        }

        static StringFrame start(StringNode s) {
            return new StringFrame(s.minLength(), s.maxLength(), 0, 0, s.pattern(),
                    s.pattern() == null ? null : s.pattern().start());
        }

        private StringFrame next(int newLength, int newEscape, char decoded, List<Stack> out, Stack below) {
            java.util.BitSet nextStates = states;
            if (pattern != null && newEscape == 0) {
                nextStates = pattern.step(states, decoded);
                if (nextStates.isEmpty()) return null;
            }
            StringFrame frame = new StringFrame(minLength, maxLength, newLength, newEscape, pattern, nextStates);
            out.add(new Stack(frame, below));
            return frame;
        }

        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            if (escape == 1) {
                if (c == 'u' && pattern == null) next(length, 2, c, out, below);
                else if ("\"\\/bfnrt".indexOf(c) >= 0) next(length + 1, 0, decode(c), out, below);
            } else if (escape >= 2) {
                if (Character.digit(c, 16) >= 0) {
                    int nextEscape = escape == 5 ? 0 : escape + 1;
                    out.add(new Stack(new StringFrame(minLength, maxLength, length + (nextEscape == 0 ? 1 : 0),
                            nextEscape, pattern, states), below));
                }
            } else if (c == '"') {
                if (length >= minLength && (pattern == null || pattern.accepts(states))) out.add(below);
            } else if (c < 0x20 || c == 0x7f) {
                // control characters must be escaped; refuse them raw
            } else if (length < maxLength) {
                if (c == '\\') out.add(new Stack(new StringFrame(minLength, maxLength, length, 1, pattern, states), below));
                else next(length + 1, 0, c, out, below);
            }
        }

        private static char decode(char escaped) {
            return switch (escaped) {
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                default -> escaped;
            };
        }

        /** The fewest characters that close the string, its quote included. */
        int remaining() {
            int pending = escape == 1 ? 1 : escape >= 2 ? 6 - escape : 0;
            int chars = Math.max(0, minLength - length - (pending > 0 ? 1 : 0));
            if (pattern != null) chars = Math.max(chars, pattern.distance(states));
            return pending + chars + 1;
        }

        @Override
        public boolean canPop() {
            return false;
        }
    }

    /** A number: {@code state} in the JSON number automaton, {@code digits} in the current part. */
    record NumberFrame(boolean integer, int state, int digits, int maxDigits, NumberBounds bounds, String text)
            implements Frame {
        static final int START = 0, MINUS = 1, ZERO = 2, INT = 3, DOT = 4, FRAC = 5, E = 6, E_SIGN = 7, EXP = 8;

        NumberFrame(boolean integer, int state, int digits, int maxDigits) {
            this(integer, state, digits, maxDigits, null, "");
        }

        /** A number yet to start; with bounds its text is kept, so that every prefix is checked against them. */
        static NumberFrame start(NumberNode n) {
            return new NumberFrame(n.integer(), START, 0, n.maxDigits(), n.bounds(), "");
        }

        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            boolean digit = c >= '0' && c <= '9';
            int next = -1;
            int nextDigits = 0;
            switch (state) {
                case START -> next = c == '-' ? MINUS : c == '0' ? ZERO : digit ? INT : -1;
                case MINUS -> next = c == '0' ? ZERO : digit ? INT : -1;
                case ZERO -> next = !integer && c == '.' ? DOT : !integer && (c == 'e' || c == 'E') ? E : -1;
                case INT -> {
                    if (digit && digits < maxDigits) {
                        next = INT;
                        nextDigits = digits + 1;
                    } else if (!integer && c == '.') next = DOT;
                    else if (!integer && (c == 'e' || c == 'E')) next = E;
                }
                case DOT -> next = digit ? FRAC : -1;
                case FRAC -> {
                    if (digit && digits < maxDigits) {
                        next = FRAC;
                        nextDigits = digits + 1;
                    } else if (c == 'e' || c == 'E') next = E;
                }
                case E -> next = c == '+' || c == '-' ? E_SIGN : digit ? EXP : -1;
                case E_SIGN -> next = digit ? EXP : -1;
                case EXP -> {
                    // at most two exponent digits: with the mantissa's digit limit every number stays a finite
                    // double (1e999 would parse as Infinity, which no tool argument can use)
                    if (digit && digits < 2) {
                        next = EXP;
                        nextDigits = digits + 1;
                    }
                }
                default -> throw new IllegalStateException("number state " + state);
            }
            if (next >= 0 && bounds != null) {
                // bounded numbers have no exponent, and every prefix must still reach an admissible value
                if (next >= E || !bounds.feasible(text + c, integer, maxDigits)) next = -2;
            }
            if (next >= 0) {
                if (nextDigits == 0 && (next == INT || next == FRAC || next == EXP)) nextDigits = 1;
                out.add(new Stack(new NumberFrame(integer, next, nextDigits, maxDigits, bounds,
                        bounds == null ? "" : text + c), below));
            } else if (next == -1 && canPop()) {
                Stack.feed(below, c, out); // the number ended: the character belongs to what follows
            }
        }

        @Override
        public boolean canPop() {
            boolean complete = state == ZERO || state == INT || state == FRAC || state == EXP;
            return complete && (bounds == null || bounds.admits(new java.math.BigDecimal(text)));
        }
    }

    /** Optional further repetitions of {@code body}. */
    record Repeat(List<Frame> body, int remaining) implements Frame {
        @Override
        public void feed(char c, Stack below, List<Stack> out) {
            if (remaining <= 0) return;
            List<Frame> again = new ArrayList<>(body);
            again.add(new Repeat(body, remaining - 1));
            Stack.feed(Stack.of(again, below), c, out);
        }

        @Override
        public boolean canPop() {
            return true;
        }
    }

    static boolean isSpace(char c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r';
    }

    /** JSON text with every character outside printable ASCII written as a {@code \\uXXXX} escape. */
    static String asciiOnly(String json) {
        StringBuilder sb = new StringBuilder(json.length());
        for (char ch : json.toCharArray()) {
            if (ch >= 0x7f) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
        return sb.toString();
    }

    static String escapeKey(String key) {
        StringBuilder sb = new StringBuilder(key.length());
        for (char ch : key.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        return sb.toString();
    }
}
