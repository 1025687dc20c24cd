package org.gptq4j.langchain4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.gptq4j.langchain4j.template.ChatTemplate;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.gptq4j.langchain4j.template.Conversation;
import org.gptq4j.langchain4j.template.Turn;
import org.gptq4j.testing.Fixtures;
import org.gptq4j.tokenizer.HuggingFaceTokenizer;
import org.gptq4j.tokenizer.SentencePieceTokenizer;
import org.gptq4j.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chat-template rendering with arbitrary message text, for every built-in template and two fixture tokenizers:
 * rendering never fails, and the special tokens of the prompt (BOS, EOS, added special tokens) are exactly those of
 * the same conversation with harmless text: message text can never inject a turn boundary. (ChatML is refused with
 * both fixture vocabularies, which lack {@code <|im_start|>}, so it is skipped here.)
 * <p>Input layout: UTF-8 split at NUL into system, user, assistant and second user text.
 */
class ChatTemplateFuzzTest {
    private static final List<Tokenizer> TOKENIZERS = List.of(
            SentencePieceTokenizer.load(Fixtures.tokenizer("stories-tok512").resolve("tokenizer.model")),
            HuggingFaceTokenizer.load(Fixtures.tokenizer("firefly-chinese-llama-alpaca-2").resolve("tokenizer.json")));

    @FuzzTest(maxDuration = "20s")
    void messageTextNeverAddsOrRemovesSpecialTokens(byte[] input) {
        String[] parts = new String(input, StandardCharsets.UTF_8).split("\0", 4);
        String[] texts = new String[4];
        for (int i = 0; i < 4; i++) texts[i] = i < parts.length && !parts[i].isBlank() ? parts[i] : "x";
        for (String name : ChatTemplates.BUILT_IN) {
            ChatTemplate template = ChatTemplates.named(name);
            for (Tokenizer tokenizer : TOKENIZERS) {
                Map<Integer, Integer> benign;
                try {
                    benign = specials(template.render(conversation("x", "x", "x", "x"), tokenizer).tokenIds(), tokenizer);
                } catch (IllegalArgumentException vocabularyLacksTheTemplatesTokens) {
                    continue; // e.g. ChatML with a Llama vocabulary: refused whatever the text, nothing to compare
                }
                Map<Integer, Integer> fuzzed = specials(template.render(conversation(texts), tokenizer).tokenIds(), tokenizer);
                assertThat(fuzzed).as("%s with %s", name, tokenizer).isEqualTo(benign);
            }
        }
    }

    private static Conversation conversation(String... t) {
        return new Conversation(List.of(Turn.system(t[0]), Turn.user(t[1]), Turn.assistant(t[2], List.of()), Turn.user(t[3])),
                List.of());
    }

    /** How often each special id occurs (unknown pieces aside: they are what unencodable text becomes). */
    private static Map<Integer, Integer> specials(int[] ids, Tokenizer tokenizer) {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int id : ids) if (tokenizer.isSpecial(id) && id != tokenizer.unkId()) counts.merge(id, 1, Integer::sum);
        return counts;
    }
}
