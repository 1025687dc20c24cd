package org.gptq4j.tokenizer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Finds the longest of a fixed set of strings starting at a position of a text (user-defined symbols, added tokens). */
final class PrefixMatcher {
    /** Candidates grouped by first char, longest first. */
    private final Map<Character, List<String>> byFirstChar = new HashMap<>();

    PrefixMatcher(Collection<String> strings) {
        for (String s : strings) {
            if (!s.isEmpty()) byFirstChar.computeIfAbsent(s.charAt(0), c -> new ArrayList<>()).add(s);
        }
        byFirstChar.values().forEach(list -> list.sort(Comparator.comparingInt(String::length).reversed()));
    }

    boolean isEmpty() {
        return byFirstChar.isEmpty();
    }

    /** The longest candidate that {@code text} contains at {@code at}, or {@code null}. */
    String longestAt(CharSequence text, int at) {
        List<String> candidates = byFirstChar.get(text.charAt(at));
        if (candidates == null) return null;
        for (String candidate : candidates) {
            if (regionMatches(text, at, candidate)) return candidate;
        }
        return null;
    }

    private static boolean regionMatches(CharSequence text, int at, String candidate) {
        if (at + candidate.length() > text.length()) return false;
        for (int i = 0; i < candidate.length(); i++) {
            if (text.charAt(at + i) != candidate.charAt(i)) return false;
        }
        return true;
    }
}
