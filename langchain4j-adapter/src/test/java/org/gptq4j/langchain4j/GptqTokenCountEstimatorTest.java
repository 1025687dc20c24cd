package org.gptq4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.TokenWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import org.gptq4j.langchain4j.it.SharedEngine;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.junit.jupiter.api.Test;

/** {@link GptqTokenCountEstimator} with the real tokenizer, checked against the engine's own prompt count. */
class GptqTokenCountEstimatorTest {
    private final GptqChatModel model = GptqChatModel.builder().engine(SharedEngine.ENGINE)
            .chatTemplate(ChatTemplates.LLAMA_2).maxOutputTokens(4).seed(1L).build();
    private final GptqTokenCountEstimator estimator = model.tokenCountEstimator();

    @Test
    void counts_text_with_the_model_tokenizer() {
        String text = "Once upon a time, there was a little girl named Lily.";
        assertThat(estimator.estimateTokenCountInText(text))
                .isEqualTo(SharedEngine.ENGINE.tokenizer().encode(text).length)
                .isLessThan(text.length()); // real subword tokens, not characters
        assertThat(estimator.estimateTokenCountInText("")).isZero();
    }

    @Test
    void messages_count_is_the_prompt_length_the_engine_reports() {
        List<ChatMessage> messages = List.of(SystemMessage.from("You tell stories."), UserMessage.from("Hi"),
                AiMessage.from("Once upon a time"), UserMessage.from("Go on, please."));
        ChatResponse response = model.chat(ChatRequest.builder().messages(messages).build());

        assertThat(estimator.estimateTokenCountInMessages(messages))
                .isEqualTo(response.metadata().tokenUsage().inputTokenCount());
    }

    @Test
    void one_message_counts_its_text_and_its_template_tokens() {
        String text = "Tell me about a cat.";
        int textTokens = estimator.estimateTokenCountInText(text);
        int messageTokens = estimator.estimateTokenCountInMessage(UserMessage.from(text));
        assertThat(messageTokens).isBetween(textTokens, textTokens + 2); // [INST] framing is shared by all turns
        int answerTokens = estimator.estimateTokenCountInMessage(AiMessage.from(text));
        assertThat(answerTokens).isBetween(textTokens, textTokens + 2);
        assertThat(estimator.estimateTokenCountInMessage(UserMessage.from(text + " " + text)))
                .isGreaterThan(messageTokens); // it counts the message, not a constant
    }

    @Test
    void token_window_chat_memory_keeps_the_newest_messages_that_fit() {
        int maxTokens = 120;
        TokenWindowChatMemory memory = TokenWindowChatMemory.builder().maxTokens(maxTokens, estimator).build();
        memory.add(SystemMessage.from("You tell short stories."));
        for (int i = 1; i <= 8; i++) {
            memory.add(UserMessage.from("Tell me story number " + i + " about a dog."));
            memory.add(AiMessage.from("The dog ran and played in the park " + i + " times."));
        }
        List<ChatMessage> kept = memory.messages();

        assertThat(kept.getFirst()).isEqualTo(SystemMessage.from("You tell short stories."));
        assertThat(kept.getLast()).isEqualTo(AiMessage.from("The dog ran and played in the park 8 times."));
        assertThat(kept.size()).isLessThan(17); // something was evicted
        assertThat(estimator.estimateTokenCountInMessages(kept)).isLessThanOrEqualTo(maxTokens);
        // and the chat the memory feeds stays within the window it was sized for
        List<ChatMessage> next = new java.util.ArrayList<>(kept);
        next.add(UserMessage.from("Another one?"));
        ChatResponse response = model.chat(ChatRequest.builder().messages(next).build());
        assertThat(response.metadata().tokenUsage().inputTokenCount())
                .isEqualTo(estimator.estimateTokenCountInMessages(next));
    }
}
