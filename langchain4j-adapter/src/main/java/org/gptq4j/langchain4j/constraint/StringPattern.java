package org.gptq4j.langchain4j.constraint;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A JSON Schema {@code pattern} (or a {@code format} written as one) compiled to a character automaton that a
 * {@link JsonGrammar} string follows character by character (a Thompson NFA; a state set is a {@link BitSet}, never
 * mutated once made).
 *
 * <p>The supported subset: literals and escaped literals, {@code .}, character classes ({@code [a-z_]},
 * {@code [^"]}), {@code \d \w \s} and their negations, groups {@code (...)} and {@code (?:...)}, alternation
 * {@code |}, the quantifiers {@code * + ?} and {@code {n} {n,} {n,m}} (greedy or lazy), and {@code ^}/{@code $}
 * at the ends. A pattern without {@code ^} (or {@code $}) may have anything before (after) its match, as JSON
 * Schema says. Anything else (backreferences, lookaround, word boundaries, Unicode properties, anchors inside) is
 * refused with an {@link IllegalArgumentException} naming it, so that a schema is never enforced only in part.
 */
public final class StringPattern {
    /** The most automaton states a pattern may compile to (bounded repetitions are unrolled). */
    static final int MAX_STATES = 20_000;

    private static final Map<String, String> FORMATS = Map.of(
            "date", "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
            "date-time", "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
                    + "(\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
            "email", "^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63}){1,4}$",
            "uuid", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");

    private final String source;
    // state i: a character edge (classes[i] != null) to next[i], or epsilon edges to next[i] and alt[i] (-1: none)
    private final CharClass[] classes;
    private final int[] next;
    private final int[] alt;
    private final int accept;
    private final BitSet start;
    private final int[] distance; // fewest characters from a state to acceptance

    private StringPattern(String source, Builder b, int startState, int accept) {
        this.source = source;
        this.classes = b.classes.toArray(CharClass[]::new);
        this.next = b.next.stream().mapToInt(Integer::intValue).toArray();
        this.alt = b.alt.stream().mapToInt(Integer::intValue).toArray();
        this.accept = accept;
        BitSet s = new BitSet();
        s.set(startState);
        this.start = closure(s);
        this.distance = distances();
    }

    /** The automaton of a JSON Schema {@code pattern}; unsupported constructs are refused. */
    public static StringPattern compile(String pattern) {
        return new Parser(pattern).compile();
    }

    /**
     * The automaton of a {@code format} this grammar enforces ({@code date}, {@code date-time}, {@code email},
     * {@code uuid}), or {@code null} for another format (an annotation only, as JSON Schema has it by default).
     */
    public static StringPattern format(String name) {
        String pattern = FORMATS.get(name);
        return pattern == null ? null : compile(pattern);
    }

    /** The states before any character. */
    BitSet start() {
        return start;
    }

    /** The states after {@code c}; empty when the pattern refuses it. */
    BitSet step(BitSet states, char c) {
        BitSet moved = new BitSet();
        for (int s = states.nextSetBit(0); s >= 0; s = states.nextSetBit(s + 1)) {
            if (classes[s] != null && classes[s].matches(c)) moved.set(next[s]);
        }
        return moved.isEmpty() ? moved : closure(moved);
    }

    boolean accepts(BitSet states) {
        return states.get(accept);
    }

    /** The fewest characters that take {@code states} to a match ({@link ClosingDistance#UNREACHABLE}: none). */
    int distance(BitSet states) {
        int best = ClosingDistance.UNREACHABLE;
        for (int s = states.nextSetBit(0); s >= 0; s = states.nextSetBit(s + 1)) best = Math.min(best, distance[s]);
        return best;
    }

    /** The length of the shortest match. */
    int minLength() {
        return distance(start);
    }

    @Override
    public String toString() {
        return source;
    }

    private BitSet closure(BitSet states) {
        BitSet out = (BitSet) states.clone();
        Deque<Integer> todo = new ArrayDeque<>();
        states.stream().forEach(todo::push);
        while (!todo.isEmpty()) {
            int s = todo.pop();
            if (classes[s] != null) continue;
            for (int t : new int[] {next[s], alt[s]}) {
                if (t >= 0 && !out.get(t)) {
                    out.set(t);
                    todo.push(t);
                }
            }
        }
        return out;
    }

    /** Shortest distances to acceptance: a backward 0-1 BFS (epsilon edges cost 0, character edges 1). */
    private int[] distances() {
        int n = classes.length;
        List<List<int[]>> reverse = new ArrayList<>(n);
        for (int i = 0; i < n; i++) reverse.add(new ArrayList<>(1));
        for (int s = 0; s < n; s++) {
            int cost = classes[s] != null ? 1 : 0;
            if (next[s] >= 0) reverse.get(next[s]).add(new int[] {s, cost});
            if (alt[s] >= 0) reverse.get(alt[s]).add(new int[] {s, 0});
        }
        int[] d = new int[n];
        Arrays.fill(d, ClosingDistance.UNREACHABLE);
        d[accept] = 0;
        Deque<Integer> queue = new ArrayDeque<>();
        queue.add(accept);
        while (!queue.isEmpty()) {
            int t = queue.poll();
            for (int[] edge : reverse.get(t)) {
                int s = edge[0];
                if (d[t] + edge[1] < d[s]) {
                    d[s] = d[t] + edge[1];
                    if (edge[1] == 0) queue.addFirst(s);
                    else queue.addLast(s);
                }
            }
        }
        return d;
    }

    /** A set of characters: ranges, possibly negated. */
    record CharClass(int[] ranges, boolean negated) {
        static final CharClass ANY_BUT_NEWLINE = new CharClass(new int[] {'\n', '\n'}, true);
        static final CharClass ANY = new CharClass(new int[0], true);

        static CharClass of(char c) {
            return new CharClass(new int[] {c, c}, false);
        }

        boolean matches(char c) {
            boolean in = false;
            for (int i = 0; i < ranges.length && !in; i += 2) in = c >= ranges[i] && c <= ranges[i + 1];
            return in != negated;
        }
    }

    /** The automaton under construction. */
    private static final class Builder {
        final List<CharClass> classes = new ArrayList<>();
        final List<Integer> next = new ArrayList<>();
        final List<Integer> alt = new ArrayList<>();
        private final String pattern;

        Builder(String pattern) {
            this.pattern = pattern;
        }

        int state(CharClass c, int to, int other) {
            if (classes.size() >= MAX_STATES) {
                throw new IllegalArgumentException("JSON schema pattern '" + pattern + "' is too large to enforce (more"
                        + " than " + MAX_STATES + " automaton states once its repetitions are unrolled)");
            }
            classes.add(c);
            next.add(to);
            alt.add(other);
            return classes.size() - 1;
        }
    }

    /** A fragment: enters at {@code start}; every state in {@code outs} still needs its exit patched in. */
    private record Fragment(int start, List<int[]> outs) {}

    /** The pattern's syntax tree. */
    private sealed interface Node permits Chars, Seq, Alt, Rep {}

    private record Chars(CharClass chars) implements Node {}

    private record Seq(List<Node> items) implements Node {}

    private record Alt(List<Node> options) implements Node {}

    private record Rep(Node body, int min, int max) implements Node {} // max -1: unbounded

    /** A recursive-descent parser of the subset, building the automaton. */
    private static final class Parser {
        private static final int MAX_REPEAT = 1000;
        private final String p;
        private int i;

        Parser(String pattern) {
            this.p = pattern;
        }

        StringPattern compile() {
            int begin = 0;
            int end = p.length();
            boolean anchoredStart = p.startsWith("^");
            if (anchoredStart) begin = 1;
            boolean anchoredEnd = end > begin && p.endsWith("$") && !escapedAt(end - 1);
            if (anchoredEnd) end--;
            i = begin;
            Node body = alternation(end);
            if (i != end) throw unsupported(String.valueOf(p.charAt(i)));
            List<Node> whole = new ArrayList<>();
            if (!anchoredStart) whole.add(new Rep(new Chars(CharClass.ANY), 0, -1));
            whole.add(body);
            if (!anchoredEnd) whole.add(new Rep(new Chars(CharClass.ANY), 0, -1));
            Builder b = new Builder(p);
            Fragment f = build(new Seq(whole), b);
            int accept = b.state(null, -1, -1);
            patch(f, accept, b);
            return new StringPattern(p, b, f.start(), accept);
        }

        private boolean escapedAt(int index) {
            int slashes = 0;
            for (int k = index - 1; k >= 0 && p.charAt(k) == '\\'; k--) slashes++;
            return slashes % 2 == 1;
        }

        private Node alternation(int end) {
            List<Node> options = new ArrayList<>();
            options.add(sequence(end));
            while (i < end && p.charAt(i) == '|') {
                i++;
                options.add(sequence(end));
            }
            return options.size() == 1 ? options.getFirst() : new Alt(options);
        }

        private Node sequence(int end) {
            List<Node> items = new ArrayList<>();
            while (i < end && p.charAt(i) != '|' && p.charAt(i) != ')') items.add(quantified(atom(end), end));
            return new Seq(items);
        }

        private Node atom(int end) {
            char c = p.charAt(i);
            switch (c) {
                case '(' -> {
                    i++;
                    if (p.startsWith("?:", i)) i += 2;
                    else if (i < end && p.charAt(i) == '?') throw unsupported("(?" + (i + 1 < p.length() ? p.charAt(i + 1) : ""));
                    Node inner = alternation(end);
                    if (i >= end || p.charAt(i) != ')') throw new IllegalArgumentException("JSON schema pattern '" + p
                            + "' has an unclosed group");
                    i++;
                    return inner;
                }
                case '[' -> {
                    return new Chars(charClass(end));
                }
                case '.' -> {
                    i++;
                    return new Chars(CharClass.ANY_BUT_NEWLINE);
                }
                case '\\' -> {
                    return new Chars(escape(end, false));
                }
                case '^', '$' -> throw unsupported(c + " inside the pattern");
                case '*', '+', '?', '{' -> throw unsupported("a quantifier '" + c + "' with nothing to repeat");
                default -> {
                    i++;
                    return new Chars(CharClass.of(c));
                }
            }
        }

        private Node quantified(Node atom, int end) {
            while (i < end) {
                char c = p.charAt(i);
                int min;
                int max;
                if (c == '*') { min = 0; max = -1; i++; }
                else if (c == '+') { min = 1; max = -1; i++; }
                else if (c == '?') { min = 0; max = 1; i++; }
                else if (c == '{' && p.indexOf('}', i) > 0 && p.substring(i + 1, p.indexOf('}', i)).matches("\\d+(,\\d*)?")) {
                    String[] parts = p.substring(i + 1, p.indexOf('}', i)).split(",", -1);
                    min = Integer.parseInt(parts[0]);
                    max = parts.length == 1 ? min : parts[1].isEmpty() ? -1 : Integer.parseInt(parts[1]);
                    if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) {
                        throw new IllegalArgumentException("JSON schema pattern '" + p + "': repetition {"
                                + String.join(",", parts) + "} is not supported (at most " + MAX_REPEAT + ", min <= max)");
                    }
                    i = p.indexOf('}', i) + 1;
                } else {
                    return atom;
                }
                if (i < end && p.charAt(i) == '?') i++; // lazy: the same language
                if (i < end && p.charAt(i) == '+') throw unsupported("a possessive quantifier");
                atom = new Rep(atom, min, max);
            }
            return atom;
        }

        private CharClass charClass(int end) {
            i++; // '['
            boolean negated = i < end && p.charAt(i) == '^';
            if (negated) i++;
            List<Integer> ranges = new ArrayList<>();
            boolean first = true;
            while (i < end && (p.charAt(i) != ']' || first)) {
                first = false;
                CharClass single;
                if (p.charAt(i) == '\\') {
                    single = escape(end, true);
                } else if (p.charAt(i) == '[') {
                    throw unsupported("a nested character class");
                } else {
                    single = CharClass.of(p.charAt(i++));
                }
                boolean isChar = !single.negated() && single.ranges().length == 2 && single.ranges()[0] == single.ranges()[1];
                if (isChar && i + 1 < end && p.charAt(i) == '-' && p.charAt(i + 1) != ']') {
                    i++;
                    CharClass upper = p.charAt(i) == '\\' ? escape(end, true) : CharClass.of(p.charAt(i++));
                    if (upper.negated() || upper.ranges().length != 2 || upper.ranges()[0] != upper.ranges()[1]
                            || upper.ranges()[0] < single.ranges()[0]) {
                        throw new IllegalArgumentException("JSON schema pattern '" + p + "' has an invalid range");
                    }
                    ranges.add(single.ranges()[0]);
                    ranges.add(upper.ranges()[0]);
                } else if (single.negated()) {
                    throw unsupported("a negated class escape (\\D, \\W, \\S) inside [...]");
                } else {
                    for (int r : single.ranges()) ranges.add(r);
                }
            }
            if (i >= end) throw new IllegalArgumentException("JSON schema pattern '" + p + "' has an unclosed [");
            i++; // ']'
            return new CharClass(ranges.stream().mapToInt(Integer::intValue).toArray(), negated);
        }

        private CharClass escape(int end, boolean inClass) {
            i++; // '\'
            if (i >= end) throw new IllegalArgumentException("JSON schema pattern '" + p + "' ends with a backslash");
            char c = p.charAt(i++);
            return switch (c) {
                case 'd' -> new CharClass(new int[] {'0', '9'}, false);
                case 'D' -> new CharClass(new int[] {'0', '9'}, true);
                case 'w' -> new CharClass(new int[] {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'}, false);
                case 'W' -> new CharClass(new int[] {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'}, true);
                case 's' -> new CharClass(new int[] {'\t', '\r', ' ', ' '}, false);
                case 'S' -> new CharClass(new int[] {'\t', '\r', ' ', ' '}, true);
                case 'n' -> CharClass.of('\n');
                case 't' -> CharClass.of('\t');
                case 'r' -> CharClass.of('\r');
                case 'f' -> CharClass.of('\f');
                case 'v' -> CharClass.of('\u000b');
                case 'u' -> {
                    if (i + 4 > end || !p.substring(i, i + 4).matches("[0-9a-fA-F]{4}")) throw unsupported("\\u without 4 hex digits");
                    char code = (char) Integer.parseInt(p.substring(i, i + 4), 16);
                    i += 4;
                    yield CharClass.of(code);
                }
                case 'b' -> {
                    if (inClass) yield CharClass.of('\b');
                    throw unsupported("\\b (a word boundary)");
                }
                default -> {
                    if (Character.isLetterOrDigit(c)) throw unsupported("\\" + c);
                    yield CharClass.of(c); // an escaped punctuation character
                }
            };
        }

        private IllegalArgumentException unsupported(String what) {
            return new IllegalArgumentException("JSON schema pattern '" + p + "' uses " + what + ", which this grammar"
                    + " does not support: use literals, character classes, groups, | and the quantifiers * + ? {n,m},"
                    + " anchored with ^ and $");
        }

        private static Fragment build(Node node, Builder b) {
            return switch (node) {
                case Chars c -> {
                    int s = b.state(c.chars(), -1, -1);
                    yield new Fragment(s, new ArrayList<>(List.<int[]>of(new int[] {s, 0})));
                }
                case Seq seq -> {
                    if (seq.items().isEmpty()) {
                        int s = b.state(null, -1, -1);
                        yield new Fragment(s, new ArrayList<>(List.<int[]>of(new int[] {s, 0})));
                    }
                    Fragment first = build(seq.items().getFirst(), b);
                    Fragment last = first;
                    for (Node item : seq.items().subList(1, seq.items().size())) {
                        Fragment f = build(item, b);
                        patch(last, f.start(), b);
                        last = f;
                    }
                    yield new Fragment(first.start(), last.outs());
                }
                case Alt alt -> {
                    List<int[]> outs = new ArrayList<>();
                    int entry = -1;
                    for (int k = alt.options().size() - 1; k >= 0; k--) {
                        Fragment f = build(alt.options().get(k), b);
                        outs.addAll(f.outs());
                        entry = entry < 0 ? f.start() : b.state(null, f.start(), entry);
                    }
                    yield new Fragment(entry, outs);
                }
                case Rep rep -> {
                    List<Node> unrolled = new ArrayList<>();
                    for (int k = 0; k < rep.min(); k++) unrolled.add(rep.body());
                    if (rep.max() < 0) {
                        // star: split -> body -> back to split; leave through the split
                        Fragment prefix = build(new Seq(unrolled), b);
                        Fragment body = build(rep.body(), b);
                        int split = b.state(null, body.start(), -1);
                        patch(body, split, b);
                        patch(prefix, split, b);
                        yield new Fragment(prefix.start(), new ArrayList<>(List.<int[]>of(new int[] {split, 1})));
                    }
                    if (rep.min() == 0 && rep.max() == 1) { // optional: split -> body, or skip it
                        Fragment body = build(rep.body(), b);
                        int split = b.state(null, body.start(), -1);
                        List<int[]> outs = new ArrayList<>(body.outs());
                        outs.add(new int[] {split, 1});
                        yield new Fragment(split, outs);
                    }
                    for (int k = rep.min(); k < rep.max(); k++) unrolled.add(new Rep(rep.body(), 0, 1));
                    yield build(new Seq(unrolled), b);
                }
            };
        }

        private static void patch(Fragment f, int target, Builder b) {
            for (int[] out : f.outs()) patchOne(out, target, b);
        }

        private static void patchOne(int[] out, int target, Builder b) {
            if (out[1] == 0) b.next.set(out[0], target);
            else b.alt.set(out[0], target);
        }
    }
}
