package org.gptq4j.langchain4j.template;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The texts of one render of a {@link JinjaChatTemplate}: every string that reaches the template from a message, a
 * tool call or a tool specification stands in its context as an opaque placeholder ({@code U+E000}, index,
 * {@code U+E001}). The rendered output is split at the special tokens the template itself wrote, and each placeholder
 * is put back as plain text for {@link PromptWriter#text}, so that no such string can ever become a special token.
 * A placeholder the template has cut or forged is only text too: it is kept as the characters it is.
 */
final class TextPlaceholders {
    private static final char START = '\uE000';
    private static final char END = '\uE001';
    /** Digits of an index: a placeholder is at most this many characters between its delimiters. */
    private static final int MAX_DIGITS = 10;

    private final List<String> texts = new ArrayList<>();
    /** The placeholder of each text's JSON-escaped form, by the text's index: each text is escaped once. */
    private final Map<Integer, String> jsonEscapedPlaceholders = new HashMap<>();
    private long escapedLength;

    /** The placeholder of {@code text} ({@code ""} stays empty: it can hold no token). */
    String protect(String text) {
        if (text == null || text.isEmpty()) return text;
        texts.add(text);
        return START + Integer.toString(texts.size() - 1) + END;
    }

    /**
     * {@code value} with every string in it, map keys included, replaced by its placeholder (lists and maps copied).
     * A map still finds its members by their keys' own text ({@code tool.function.parameters}), though it lists them
     * under the keys' placeholders.
     */
    Object protectAll(Object value) {
        if (value instanceof String s) return protect(s);
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            Map<String, String> placeholderByKey = new HashMap<>();
            map.forEach((k, v) -> {
                String key = String.valueOf(k);
                String placeholder = protect(key);
                placeholderByKey.put(key, placeholder);
                copy.put(placeholder, protectAll(v));
            });
            return new ProtectedMap(Collections.unmodifiableMap(copy), placeholderByKey);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object item : list) copy.add(protectAll(item));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }

    /** Characters of {@code rendered} with every text in place, counted up to {@code limit + 1} at most. */
    long expandedLength(String rendered, long limit) {
        long[] length = {0};
        forEachSegment(rendered, new Segments() {
            @Override
            public void literal(String s, int from, int to) {
                length[0] += to - from;
            }

            @Override
            public void text(int index) {
                length[0] += texts.get(index).length();
            }
        });
        return Math.min(length[0], limit + 1);
    }

    /** {@code s} with every placeholder replaced by its text (for error messages). */
    String expand(String s) {
        StringBuilder out = new StringBuilder();
        forEachSegment(s, new Segments() {
            @Override
            public void literal(String s, int from, int to) {
                out.append(s, from, to);
            }

            @Override
            public void text(int index) {
                out.append(texts.get(index));
            }
        });
        return out.toString();
    }

    /**
     * The inside of a JSON string holding {@code s} (no quotes), as {@code json.dumps(ensure_ascii=False)} escapes
     * it: the template's own characters are escaped in place, each text is escaped and stays a text.
     */
    String jsonEscaped(String s) {
        StringBuilder out = new StringBuilder();
        forEachSegment(s, new Segments() {
            @Override
            public void literal(String s, int from, int to) {
                escapeJson(s, from, to, out);
            }

            @Override
            public void text(int index) {
                out.append(jsonEscapedPlaceholders.computeIfAbsent(index, i -> {
                    String text = texts.get(i);
                    StringBuilder escaped = new StringBuilder(text.length() + 8);
                    escapeJson(text, 0, text.length(), escaped);
                    escapedLength += escaped.length();
                    return protect(escaped.toString());
                }));
            }
        });
        return out.toString();
    }

    /** Characters of the texts {@link #jsonEscaped} has added so far. */
    long escapedLength() {
        return escapedLength;
    }

    /**
     * Writes {@code rendered} to {@code out}: the template's own text, in which {@code specials} (longest first) become
     * special tokens, and the texts, which never do.
     */
    void write(String rendered, List<String> specials, PromptWriter out) {
        forEachSegment(rendered, new Segments() {
            @Override
            public void literal(String s, int from, int to) {
                int start = from;
                int i = from;
                outer:
                while (i < to) {
                    for (String special : specials) {
                        if (s.startsWith(special, i) && i + special.length() <= to) {
                            out.text(s.substring(start, i));
                            out.special(special);
                            i += special.length();
                            start = i;
                            continue outer;
                        }
                    }
                    i++;
                }
                out.text(s.substring(start, to));
            }

            @Override
            public void text(int index) {
                out.text(texts.get(index));
            }
        });
    }

    /** A map of protected keys that also answers to its keys' text. */
    private static final class ProtectedMap extends AbstractMap<String, Object> {
        private final Map<String, Object> members;
        private final Map<String, String> placeholderByKey;

        ProtectedMap(Map<String, Object> members, Map<String, String> placeholderByKey) {
            this.members = members;
            this.placeholderByKey = placeholderByKey;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return members.entrySet();
        }

        @Override
        public Object get(Object key) {
            return members.containsKey(key) ? members.get(key) : members.get(placeholderByKey.get(key));
        }

        @Override
        public boolean containsKey(Object key) {
            return members.containsKey(key) || placeholderByKey.containsKey(key);
        }
    }

    private interface Segments {
        /** {@code s[from, to)} was written by the template. */
        void literal(String s, int from, int to);

        /** The text of this index stood here. */
        void text(int index);
    }

    private void forEachSegment(String s, Segments segments) {
        int literalStart = 0;
        int i = 0;
        while (i < s.length()) {
            int end = s.charAt(i) == START ? placeholderEnd(s, i) : -1;
            if (end < 0) {
                i++;
                continue;
            }
            if (literalStart < i) segments.literal(s, literalStart, i);
            segments.text(Integer.parseInt(s, i + 1, end, 10));
            i = end + 1;
            literalStart = i;
        }
        if (literalStart < s.length()) segments.literal(s, literalStart, s.length());
    }

    /** Where the placeholder starting at {@code start} ends, or -1 if none of this render's starts there. */
    private int placeholderEnd(String s, int start) {
        int i = start + 1;
        long index = 0;
        while (i < s.length() && i - start <= MAX_DIGITS && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
            index = index * 10 + (s.charAt(i) - '0');
            i++;
        }
        boolean valid = i > start + 1 && i < s.length() && s.charAt(i) == END && index < texts.size();
        return valid ? i : -1;
    }

    private static void escapeJson(String s, int from, int to, StringBuilder out) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
    }
}
