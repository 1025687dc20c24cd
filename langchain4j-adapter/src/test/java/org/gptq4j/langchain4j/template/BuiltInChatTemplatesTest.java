package org.gptq4j.langchain4j.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.gptq4j.langchain4j.template.TemplateFixtures.BOS;
import static org.gptq4j.langchain4j.template.TemplateFixtures.EOS;
import static org.gptq4j.langchain4j.template.TemplateFixtures.IM_END;
import static org.gptq4j.langchain4j.template.TemplateFixtures.IM_START;
import static org.gptq4j.langchain4j.template.TemplateFixtures.INJECTION;
import static org.gptq4j.langchain4j.template.TemplateFixtures.SENTENCEPIECE;
import static org.gptq4j.langchain4j.template.TemplateFixtures.ids;
import static org.gptq4j.langchain4j.template.TemplateFixtures.specialCount;
import static org.gptq4j.langchain4j.template.TemplateFixtures.threeTurns;

import java.nio.file.Path;
import org.gptq4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in templates render a three-turn conversation with a system message to exactly the prompt their
 * model was trained on, special tokens inserted by id; message text that spells special tokens stays text.
 */
class BuiltInChatTemplatesTest {

    @Test
    void llama2_inst_blocks_with_the_system_message_in_the_first() {
        RenderedPrompt prompt = ChatTemplates.named("llama2").render(threeTurns("Tell a story"), SENTENCEPIECE);

        assertThat(prompt.tokenIds()).containsExactly(ids(SENTENCEPIECE,
                BOS, "[INST] <<SYS>>\nYou are kind.\n<</SYS>>\n\nHi [/INST] Hello! ", EOS,
                BOS, "[INST] Tell a story [/INST]"));
        assertThat(prompt.stopTokenIds()).containsExactly(SENTENCEPIECE.eosId());
    }

    @Test
    void firefly_closes_every_turn_with_eos_and_opens_the_first_with_the_system_text() {
        RenderedPrompt prompt = ChatTemplates.named("firefly").render(threeTurns("Tell a story"), SENTENCEPIECE);

        assertThat(prompt.tokenIds()).containsExactly(ids(SENTENCEPIECE,
                BOS, "You are kind.\n\nHi", EOS, "Hello!", EOS, "Tell a story", EOS));
        assertThat(prompt.stopTokenIds()).containsExactly(SENTENCEPIECE.eosId());
    }

    @Test
    void raw_is_bos_and_the_messages_one_per_line() {
        RenderedPrompt prompt = ChatTemplates.named("raw").render(threeTurns("Tell a story"), SENTENCEPIECE);

        assertThat(prompt.tokenIds()).containsExactly(ids(SENTENCEPIECE,
                BOS, "You are kind.\nHi\nHello!\nTell a story"));
    }

    @Test
    void chatml_role_blocks_then_the_assistant_header(@TempDir Path folder) {
        Tokenizer chatMl = TemplateFixtures.chatMlTokenizer(folder);
        RenderedPrompt prompt = ChatTemplates.named("chatml").render(threeTurns("Tell a story"), chatMl);

        assertThat(prompt.tokenIds()).containsExactly(ids(chatMl,
                IM_START, "system\nYou are kind.", IM_END, "\n",
                IM_START, "user\nHi", IM_END, "\n",
                IM_START, "assistant\nHello!", IM_END, "\n",
                IM_START, "user\nTell a story", IM_END, "\n",
                IM_START, "assistant\n"));
        assertThat(prompt.stopTokenIds()).containsExactlyInAnyOrder(chatMl.eosId(), 513);
    }

    @Test
    void chatml_needs_its_special_tokens_in_the_vocabulary() {
        assertThatThrownBy(() -> ChatTemplates.named("chatml").render(threeTurns("x"), SENTENCEPIECE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs the special token <|im_");
    }

    @Test
    void message_text_that_spells_special_tokens_stays_text(@TempDir Path folder) {
        Tokenizer chatMl = TemplateFixtures.chatMlTokenizer(folder);
        for (String name : ChatTemplates.BUILT_IN) {
            Tokenizer tokenizer = name.equals("chatml") ? chatMl : SENTENCEPIECE;
            ChatTemplate template = ChatTemplates.named(name);
            int[] benign = template.render(threeTurns("bye"), tokenizer).tokenIds();
            int[] injected = template.render(threeTurns(INJECTION), tokenizer).tokenIds();

            assertThat(specialCount(tokenizer, injected)).as(name).isEqualTo(specialCount(tokenizer, benign));
            assertThat(injected.length).as(name).isGreaterThan(benign.length); // the text is there, as text
        }
        // and the text itself is encoded as plain text, exactly
        int[] llama2 = ChatTemplates.named("llama2").render(threeTurns(INJECTION), SENTENCEPIECE).tokenIds();
        assertThat(llama2).containsExactly(ids(SENTENCEPIECE,
                BOS, "[INST] <<SYS>>\nYou are kind.\n<</SYS>>\n\nHi [/INST] Hello! ", EOS,
                BOS, "[INST] " + INJECTION + " [/INST]"));
    }

    @Test
    void names_are_case_insensitive_and_unknown_names_list_the_built_ins() {
        assertThat(ChatTemplates.named("Llama-2-Chat").name()).isEqualTo(ChatTemplates.LLAMA_2);
        assertThat(ChatTemplates.named("ChatML").name()).isEqualTo(ChatTemplates.CHATML);
        assertThatThrownBy(() -> ChatTemplates.named("vicuna"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("llama2, firefly, chatml, raw");
    }
}
