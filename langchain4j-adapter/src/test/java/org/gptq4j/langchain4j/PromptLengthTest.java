package org.gptq4j.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.gptq4j.langchain4j.template.Conversation;
import org.gptq4j.langchain4j.template.Turn;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;
import java.util.concurrent.CompletableFuture;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.model.ModelFolder;
import org.gptq4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

/**
 * A prompt too long for the context window is refused before the work of encoding it: a 5 MB message used to be
 * encoded whole (10.7 s of CPU) before the prompt-length check refused it. The refusal is the prompt-length check's
 * own error, and the tokenizer is never asked to encode more than a context's worth of text.
 */
class PromptLengthTest {
    private static final int CONTEXT = 512;

    /** The stories260K tokenizer, counting the characters it is asked to encode. */
    private final AtomicLong encodedChars = new AtomicLong();
    private final Tokenizer counting = (Tokenizer) Proxy.newProxyInstance(Tokenizer.class.getClassLoader(),
            new Class<?>[] {Tokenizer.class}, (proxy, method, args) -> {
                if (method.getName().equals("encode")) encodedChars.addAndGet(((String) args[0]).length());
                try {
                    return method.invoke(FakeBackend.TOKENIZER, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    private GptqChatModel model(String template) {
        GenerationBackend backend = new GenerationBackend() {
            @Override
            public Tokenizer tokenizer() {
                return counting;
            }

            @Override
            public ModelFolder model() {
                return null;
            }

            @Override
            public int contextLength() {
                return CONTEXT;
            }

            @Override
            public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
                GenerationResult result = FakeBackend.result(new int[0], "", org.gptq4j.sampling.FinishReason.STOP,
                        request.promptTokenIds().length);
                listener.onComplete(result);
                return new GenerationHandle() {
                    @Override
                    public void cancel() {}

                    @Override
                    public CompletableFuture<GenerationResult> result() {
                        return CompletableFuture.completedFuture(result);
                    }
                };
            }
        };
        return GptqChatModel.builder().backend(backend).modelName("stories").chatTemplate(template).build();
    }

    @Test
    void aFiveMegabyteMessageIsRefusedWithoutEncodingIt() {
        String huge = "Once upon a time there was a little girl. ".repeat(5_000_000 / 43);
        for (String template : List.of("raw", "llama2", "firefly")) {
            encodedChars.set(0);
            assertThatThrownBy(() -> model(template).chat(UserMessage.from(huge)))
                    .as(template).isInstanceOf(InvalidRequestException.class)
                    .hasMessageStartingWith("the prompt has at least ")
                    .hasMessageEndingWith(" tokens, which leaves no room in the context window of 512 tokens");
            assertThat(encodedChars.get()).as("%s: characters encoded", template).isLessThan(1_000);
        }
    }

    /** Many messages that each fit but together do not: the budget counts what was encoded before. */
    @Test
    void manyMessagesThatTogetherDoNotFitAreRefusedAfterAboutAContextsWorthOfEncoding() {
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            messages.add(UserMessage.from("Tell me a story about a cat number " + i + ". ".repeat(500)));
            messages.add(AiMessage.from("The cat " + i + " was happy."));
        }
        messages.add(UserMessage.from("And then?"));
        assertThatThrownBy(() -> model("llama2").chat(messages)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("leaves no room in the context window of 512 tokens");
        assertThat(encodedChars.get()).as("characters encoded of %d", 2_000 * 1_040).isLessThan(8 * 1_040);
    }

    @Test
    void aPromptThatFitsIsEncodedWhole() {
        String story = "Once upon a time there was a little girl. ".repeat(10);
        assertThat(model("llama2").chat(UserMessage.from(story)).tokenUsage().inputTokenCount())
                .isEqualTo(ChatTemplates.named("llama2").render(new Conversation(List.of(Turn.user(story)), List.of()),
                        FakeBackend.TOKENIZER).length());
    }
}
