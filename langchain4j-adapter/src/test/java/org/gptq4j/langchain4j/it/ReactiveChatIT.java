package org.gptq4j.langchain4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.output.FinishReason;
import java.time.Duration;
import java.util.List;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.langchain4j.reactor.ReactiveChat;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Reactor streaming on the real engine, cancellation freeing KV-cache blocks. */
class ReactiveChatIT {
    private final GptqStreamingChatModel model = GptqStreamingChatModelIT.builder().build();
    private final ChatRequest story = ChatRequest.builder().messages(UserMessage.from("Once upon a time")).build();

    @Test
    void flux_of_responses_ends_with_the_complete_response() {
        StringBuilder partials = new StringBuilder();
        StepVerifier.create(ReactiveChat.streamResponses(model, ChatRequest.builder()
                        .messages(UserMessage.from("Once upon a time"))
                        .parameters(dev.langchain4j.model.chat.request.ChatRequestParameters.builder().maxOutputTokens(8).build())
                        .build()))
                .thenConsumeWhile(r -> r.metadata().finishReason() == null, r -> partials.append(r.aiMessage().text()))
                .assertNext(last -> {
                    assertThat(last.metadata().finishReason()).isEqualTo(FinishReason.LENGTH);
                    assertThat(last.aiMessage().text()).isEqualTo(partials.toString());
                })
                .expectComplete()
                .verify(Duration.ofSeconds(30));
    }

    @Test
    void cancelling_the_subscription_stops_generation_and_frees_kv_blocks() throws Exception {
        StepVerifier.create(ReactiveChat.streamText(model, story).take(3))
                .expectNextCount(3)
                .expectComplete()
                .verify(Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (SharedEngine.ENGINE.metrics().kvBlocksUsed() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(SharedEngine.ENGINE.metrics().runningSequences()).isZero();
        assertThat(SharedEngine.ENGINE.metrics().kvBlocksUsed()).isZero();
        assertThat(List.of(SharedEngine.ENGINE.metrics().kvBlocksFree())).containsExactly(SharedEngine.ENGINE.kvCacheBlocks());
    }
}
