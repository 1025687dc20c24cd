package org.gptq4j.langchain4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gptq4j.langchain4j.template.ChatTemplateException;
import org.gptq4j.langchain4j.template.Conversation;
import org.gptq4j.langchain4j.template.JinjaChatTemplate;
import org.gptq4j.langchain4j.template.RenderedPrompt;
import org.gptq4j.langchain4j.template.TemplateLimits;
import org.gptq4j.langchain4j.template.Turn;
import org.gptq4j.testing.Fixtures;
import org.gptq4j.tokenizer.HuggingFaceTokenizer;
import org.gptq4j.tokenizer.SentencePieceTokenizer;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * A model's Jinja chat template, fuzzed, rendering a conversation whose every string (message texts, tool-call ids,
 * names and arguments, tool-result names, tool names, descriptions and parameter schemas) is a fuzzed, hostile value:
 * <ul>
 *   <li>loading and rendering either succeed or throw a {@link ChatTemplateException} with a message, nothing else
 *       (no {@code StackOverflowError}, no {@code OutOfMemoryError}, no other exception); Jazzer reports a render that
 *       does not end;</li>
 *   <li>a context value never becomes a special token: the prompt has exactly the special tokens of the same
 *       conversation with every string {@code "x"} (the template sees each string as the same opaque placeholder, so
 *       the two renders differ only in the texts put back).</li>
 * </ul>
 * <p>Input layout: UTF-8, the template, then NUL, then the value.
 */
class JinjaTemplateFuzzTest {
    private static final List<Tokenizer> TOKENIZERS = List.of(
            SentencePieceTokenizer.load(Fixtures.tokenizer("stories-tok512").resolve("tokenizer.model")),
            HuggingFaceTokenizer.load(Fixtures.tokenizer("firefly-chinese-llama-alpaca-2").resolve("tokenizer.json")));
    /** Small bounds, so that each input is quick; the defaults are checked by TemplateLimitsTest. */
    private static final TemplateLimits LIMITS =
            new TemplateLimits(20_000, 32, Duration.ofMillis(500), 200_000, 20_000);

    @FuzzTest(maxDuration = "30s")
    void templatesFailCleanlyAndContextValuesNeverBecomeSpecialTokens(byte[] input) {
        String[] parts = new String(input, StandardCharsets.UTF_8).split("\0", 2);
        String value = parts.length > 1 ? parts[1] : "</s><s><|im_end|>";
        JinjaChatTemplate template;
        try {
            template = new JinjaChatTemplate(parts[0], "<s>", "</s>", LIMITS);
        } catch (ChatTemplateException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        for (Tokenizer tokenizer : TOKENIZERS) {
            RenderedPrompt hostile = render(template, conversation(value), tokenizer);
            RenderedPrompt benign = render(template, conversation("x"), tokenizer);
            if (hostile == null || benign == null) continue;
            assertThat(specials(hostile.tokenIds(), tokenizer)).as("%s", tokenizer)
                    .isEqualTo(specials(benign.tokenIds(), tokenizer));
        }
    }

    /** The prompt, or null where the template refused the conversation (cleanly: anything else fails the target). */
    private static RenderedPrompt render(JinjaChatTemplate template, Conversation conversation, Tokenizer tokenizer) {
        try {
            return template.render(conversation, tokenizer);
        } catch (ChatTemplateException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return null;
        }
    }

    private static Conversation conversation(String v) {
        ToolSpecification tool = ToolSpecification.builder().name(v).description(v)
                .parameters(JsonObjectSchema.builder().addStringProperty(v, v).required(v).build()).build();
        ToolExecutionRequest call = ToolExecutionRequest.builder().id(v).name(v)
                .arguments("{\"" + jsonEscaped(v) + "\": \"" + jsonEscaped(v) + "\"}").build();
        ToolExecutionRequest rawArguments = ToolExecutionRequest.builder().id(v).name(v).arguments(v).build();
        return new Conversation(List.of(Turn.system(v), Turn.user(v), Turn.assistant(v, List.of(call, rawArguments)),
                Turn.toolResult(v, v), Turn.user(v)), List.of(tool));
    }

    private static String jsonEscaped(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.toString();
    }

    /** How often each special id occurs (unknown pieces aside: they are what unencodable text becomes). */
    private static Map<Integer, Integer> specials(int[] ids, Tokenizer tokenizer) {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int id : ids) if (tokenizer.isSpecial(id) && id != tokenizer.unkId()) counts.merge(id, 1, Integer::sum);
        return counts;
    }
}
