package org.gptq4j.samples.readme;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.nio.file.Path;

/** The Java snippets of README.md, compiled. {@link ReadmeSnippetsTest} checks that the README shows them as here. */
@SuppressWarnings("unused")
class ReadmeSnippets {

    interface Assistant {
        TokenStream chat(String message);
    }

    void chatModel() {
        try (Engine engine = Engine.builder().modelPath(Path.of("models/firefly-llama2-7B-chat-GPTQ")).build()) {
            GptqChatModel model = GptqChatModel.builder()
                    .engine(engine)            // its folder gives the chat_template and the model name
                    .chatTemplate("firefly")
                    .temperature(0.7)
                    .build();
            String answer = model.chat("What is GPTQ quantization?");
        }
    }

    void sharedEngineAndAiServices(Path modelFolder) {
        try (Engine engine = Engine.builder().modelPath(modelFolder).build()) {
            StreamingChatModel streaming = GptqStreamingChatModel.builder().engine(engine).build();
            Assistant assistant = AiServices.builder(Assistant.class)
                    .streamingChatModel(streaming)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(10))
                    .build();
            assistant.chat("Tell me a story")
                    .onPartialResponse(System.out::print)
                    .onCompleteResponse(response -> System.out.println())
                    .onError(Throwable::printStackTrace)
                    .start();
        }
    }

    @RestController
    class StoryController {
        private final ChatModel chat;

        StoryController(ChatModel chat) {
            this.chat = chat;
        }

        @GetMapping("/story")
        String story(@RequestParam String topic) {
            return chat.chat("Tell a short story about " + topic);
        }
    }
}
