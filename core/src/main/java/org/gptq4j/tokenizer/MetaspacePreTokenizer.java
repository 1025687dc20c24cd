package org.gptq4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Metaspace} pre-tokenizer of a tokenizer.json: spaces become the replacement ("▁"), which is
 * prepended to a segment that does not start with it ({@code prepend_scheme} always, or first for the segment at
 * the start of the input only), and with {@code split} the segment is cut before every replacement.
 * A null pre-tokenizer passes segments through whole.
 */
final class MetaspacePreTokenizer {
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    private final String replacement;
    private final PrependScheme prependScheme;
    private final boolean split;
    private final boolean enabled;

    private MetaspacePreTokenizer(String replacement, PrependScheme prependScheme, boolean split, boolean enabled) {
        this.replacement = replacement;
        this.prependScheme = prependScheme;
        this.split = split;
        this.enabled = enabled;
    }

    static MetaspacePreTokenizer fromJson(JsonNode json, String source) {
        if (json == null || json.isNull()) return new MetaspacePreTokenizer("", PrependScheme.NEVER, false, false);
        String type = json.path("type").asText();
        if (type.equals("ByteLevel")) {
            throw new TokenizerException("tokenizer.json " + source
                    + ": byte-level BPE (ByteLevel pre-tokenizer) is not supported");
        }
        if (!type.equals("Metaspace")) {
            throw new TokenizerException("tokenizer.json " + source + ": pre_tokenizer " + type
                    + " is not supported (only Metaspace)");
        }
        String replacement = json.path("replacement").asText("\u2581");
        if (replacement.codePointCount(0, replacement.length()) != 1) {
            // the tokenizers crate's replacement is one char; a longer one would amplify every space
            throw new TokenizerException("tokenizer.json " + source + ": Metaspace replacement '"
                    + (replacement.length() > 16 ? replacement.substring(0, 16) + "..." : replacement)
                    + "' is not one character");
        }
        PrependScheme scheme = json.hasNonNull("prepend_scheme") ? prependScheme(json.get("prepend_scheme").asText(), source)
                : json.path("add_prefix_space").asBoolean(true) ? PrependScheme.ALWAYS : PrependScheme.NEVER;
        return new MetaspacePreTokenizer(replacement, scheme, json.path("split").asBoolean(true), true);
    }

    private static PrependScheme prependScheme(String name, String source) {
        for (PrependScheme scheme : PrependScheme.values()) {
            if (scheme.name().equalsIgnoreCase(name)) return scheme;
        }
        throw new TokenizerException("tokenizer.json " + source + ": Metaspace prepend_scheme '" + name
                + "' is not supported (always, first, never)");
    }

    /** The words of one segment; {@code atInputStart} tells whether the segment begins the input. */
    List<String> words(String segment, boolean atInputStart) {
        if (!enabled) return List.of(segment);
        String s = segment.replace(" ", replacement);
        boolean prepend = switch (prependScheme) {
            case ALWAYS -> true;
            case FIRST -> atInputStart;
            case NEVER -> false;
        };
        if (prepend && !s.startsWith(replacement)) s = replacement + s;
        if (!split) return List.of(s);
        var words = new ArrayList<String>();
        int start = 0;
        // Each replacement starts a new word ("merged with next").
        for (int at = s.indexOf(replacement, 1); at > 0; at = s.indexOf(replacement, at + replacement.length())) {
            if (at > start) words.add(s.substring(start, at));
            start = at;
        }
        words.add(s.substring(start));
        return words;
    }
}
