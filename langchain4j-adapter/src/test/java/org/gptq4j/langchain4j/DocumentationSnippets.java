package org.gptq4j.langchain4j;

import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.TokenWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import java.nio.file.Path;
import java.util.List;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.reactor.ReactiveChat;

/**
 * The code of {@code docs/langchain4j.md}, compiled and run by {@link DocumentationSnippetsTest}: every fenced
 * java block of the document appears here verbatim (indentation aside).
 */
final class DocumentationSnippets {
    private DocumentationSnippets() {}

    // --- docs: usage
    static List<String> chatAndStream(Path modelFolder) {
        try (Engine engine = Engine.builder().modelPath(modelFolder).build()) {
            GptqChatModel chat = GptqChatModel.builder()
                    .engine(engine)            // shared: several models, one engine; its folder gives chat_template and name
                    .chatTemplate("llama2")    // or leave out: tokenizer_config.json's chat_template, else raw
                    .temperature(0.7)
                    .maxOutputTokens(64)
                    .build();
            String answer = chat.chat("Hello!");

            GptqStreamingChatModel streaming = GptqStreamingChatModel.builder()
                    .engine(engine).maxOutputTokens(64).build();
            List<String> pieces = ReactiveChat.streamText(streaming, ChatRequest.builder()
                            .messages(UserMessage.from("Tell me a story")).build())
                    .collectList().block();
            return List.of(answer, String.join("", pieces));
        }
    }

    // --- docs: JSON schema
    static String jsonSchema(ChatModel model) {
        ResponseFormat person = ResponseFormat.builder()
                .type(ResponseFormatType.JSON)
                .jsonSchema(JsonSchema.builder().name("Person").rootElement(JsonObjectSchema.builder()
                        .addStringProperty("name")
                        .addIntegerProperty("age")
                        .required("name", "age")
                        .build()).build())
                .build();
        ChatResponse response = model.chat(ChatRequest.builder()
                .messages(UserMessage.from("Invent a person"))
                .responseFormat(person)
                .build());
        return response.aiMessage().text(); // always parses and validates, e.g. {"name":"Lily","age":3}
    }

    // --- docs: tools
    static class Clock {
        @Tool("the hour of the day, 0 to 23")
        int hour(String city) {
            return 12;
        }
    }

    interface Assistant {
        Result<String> chat(String message); // or String; Result also tells which tools ran
    }

    static Result<String> assistantWithTools(Engine engine) {
        ChatModel model = GptqChatModel.builder()
                .engine(engine)
                .toolChoice(ToolChoice.REQUIRED)   // the first answer is a tool call with schema-valid arguments
                .maxOutputTokens(200)              // room for the whole call, else it ends with LENGTH, cut short
                .parallelToolCalls(false)          // one call per answer: keeps a small model's context for the loop
                .seed(42L)
                .build();
        Assistant assistant = AiServices.builder(Assistant.class)
                .chatModel(model)
                .tools(new Clock())
                .build();
        return assistant.chat("What time is it in Paris?");
    }

    // --- docs: memory
    static ChatMemory tokenWindowMemory(GptqChatModel model) {
        return TokenWindowChatMemory.builder()
                .maxTokens(400, model.tokenCountEstimator()) // the model's tokenizer and chat template
                .build();
    }
}
