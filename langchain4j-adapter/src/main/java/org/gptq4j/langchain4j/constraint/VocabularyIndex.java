package org.gptq4j.langchain4j.constraint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.WeakHashMap;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * Every token's text, computed once per tokenizer, arranged in a trie so that a grammar state can be
 * checked against the whole vocabulary by walking shared prefixes once.
 *
 * <p>A token's text is the tokenizer's {@link Tokenizer#pieceText}. Tokens without one (special tokens, empty
 * pieces, non-ASCII byte pieces) are never allowed by a grammar (the end-of-turn tokens are handled separately).
 */
public final class VocabularyIndex {
    private static final Map<Tokenizer, VocabularyIndex> CACHE = new WeakHashMap<>();

    private final String[] texts;
    final TrieNode root;

    VocabularyIndex(String[] texts) {
        this.texts = texts;
        this.root = TrieNode.build(texts);
    }

    /** The index of {@code tokenizer}'s vocabulary, built on first use and then shared. */
    public static VocabularyIndex of(Tokenizer tokenizer) {
        synchronized (CACHE) {
            return CACHE.computeIfAbsent(tokenizer, VocabularyIndex::build);
        }
    }

    /** An index over the given token texts ({@code null} for tokens no grammar may produce). */
    public static VocabularyIndex ofTexts(String... texts) {
        return new VocabularyIndex(texts.clone());
    }

    private static VocabularyIndex build(Tokenizer tokenizer) {
        String[] texts = new String[tokenizer.vocabSize()];
        for (int id = 0; id < texts.length; id++) {
            texts[id] = tokenizer.pieceText(id);
        }
        return new VocabularyIndex(texts);
    }

    public int size() {
        return texts.length;
    }

    /** The text of token {@code id}, or {@code null} if no grammar may produce it. */
    public String text(int id) {
        return id >= 0 && id < texts.length ? texts[id] : null;
    }

    /** A node of the token trie: the tokens whose text ends here, and the children by next character. */
    static final class TrieNode {
        final char[] chars;
        final TrieNode[] children;
        final int[] tokens;

        private TrieNode(char[] chars, TrieNode[] children, int[] tokens) {
            this.chars = chars;
            this.children = children;
            this.tokens = tokens;
        }

        static TrieNode build(String[] texts) {
            Builder root = new Builder();
            for (int id = 0; id < texts.length; id++) {
                String text = texts[id];
                if (text == null || text.isEmpty()) continue;
                Builder node = root;
                for (int i = 0; i < text.length(); i++) node = node.children.computeIfAbsent(text.charAt(i), c -> new Builder());
                node.tokens.add(id);
            }
            return root.freeze();
        }

        private static final class Builder {
            final TreeMap<Character, Builder> children = new TreeMap<>();
            final List<Integer> tokens = new ArrayList<>(1);

            TrieNode freeze() {
                char[] chars = new char[children.size()];
                TrieNode[] kids = new TrieNode[children.size()];
                int i = 0;
                for (var e : children.entrySet()) {
                    chars[i] = e.getKey();
                    kids[i++] = e.getValue().freeze();
                }
                int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
                Arrays.sort(ids);
                return new TrieNode(chars, kids, ids);
            }
        }
    }
}
