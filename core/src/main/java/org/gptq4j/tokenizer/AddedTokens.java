package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code added_tokens} of a tokenizer.json and how the fast tokenizer cuts them out of text before the
 * model sees it: leftmost-longest matches, optionally swallowing whitespace around them ({@code lstrip},
 * {@code rstrip}) and only as whole words ({@code single_word}). Tokens with {@code normalized: false} are
 * found in the raw text, the others in the normalized text, as in {@code AddedVocabulary::extract_and_normalize}.
 */
final class AddedTokens {
    /** One entry of {@code added_tokens}. */
    record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip, boolean singleWord,
                      boolean normalized) {}

    /** A piece of the input: either text for the model or an added token's id; {@code offset} locates it. */
    record Segment(String text, int tokenId, int offset) {
        boolean isToken() {
            return text == null;
        }
    }

    private final List<AddedToken> tokens;
    private final Map<String, AddedToken> byContent = new HashMap<>();
    /** Matchers indexed by [normalized ? 1 : 0][includeSpecial ? 1 : 0]. */
    private final PrefixMatcher[][] matchers = new PrefixMatcher[2][2];

    AddedTokens(List<AddedToken> tokens) {
        this.tokens = List.copyOf(tokens);
        for (AddedToken token : tokens) byContent.putIfAbsent(token.content(), token);
        for (int normalized = 0; normalized < 2; normalized++) {
            for (int special = 0; special < 2; special++) {
                var contents = new ArrayList<String>();
                for (AddedToken token : tokens) {
                    if (token.normalized() == (normalized == 1) && (special == 1 || !token.special())) {
                        contents.add(token.content());
                    }
                }
                matchers[normalized][special] = new PrefixMatcher(contents);
            }
        }
    }

    static AddedTokens fromJson(JsonNode addedTokens) {
        var tokens = new ArrayList<AddedToken>();
        for (JsonNode t : addedTokens) {
            tokens.add(new AddedToken(t.path("id").asInt(), t.path("content").asText(), t.path("special").asBoolean(),
                    t.path("lstrip").asBoolean(), t.path("rstrip").asBoolean(), t.path("single_word").asBoolean(),
                    t.path("normalized").asBoolean(!t.path("special").asBoolean())));
        }
        return new AddedTokens(tokens);
    }

    List<AddedToken> all() {
        return tokens;
    }

    /**
     * Cuts {@code text} at the added tokens of one kind; empty text between them is dropped.
     *
     * @param normalizedTokens whether to look for the {@code normalized: true} tokens (else the raw ones)
     * @param includeSpecial   whether special tokens count (else they stay text)
     */
    List<Segment> split(String text, int baseOffset, boolean normalizedTokens, boolean includeSpecial) {
        PrefixMatcher matcher = matchers[normalizedTokens ? 1 : 0][includeSpecial ? 1 : 0];
        var segments = new ArrayList<Segment>();
        int textStart = 0;
        for (int at = 0; !matcher.isEmpty() && at < text.length(); ) {
            String content = matcher.longestAt(text, at);
            AddedToken token = content == null ? null : byContent.get(content);
            if (token == null || token.singleWord() && !isWholeWord(text, at, at + content.length())) {
                at++;
                continue;
            }
            int start = at, end = at + content.length();
            if (token.lstrip()) while (start > textStart && isWhitespace(text.charAt(start - 1))) start--;
            if (token.rstrip()) while (end < text.length() && isWhitespace(text.charAt(end))) end++;
            if (start > textStart) segments.add(new Segment(text.substring(textStart, start), -1, baseOffset + textStart));
            segments.add(new Segment(null, token.id(), baseOffset + start));
            textStart = at = end;
        }
        if (textStart < text.length()) segments.add(new Segment(text.substring(textStart), -1, baseOffset + textStart));
        return segments;
    }

    private static boolean isWholeWord(String text, int start, int end) {
        return (start == 0 || !isWordChar(text.charAt(start - 1))) && (end == text.length() || !isWordChar(text.charAt(end)));
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static boolean isWhitespace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }
}
