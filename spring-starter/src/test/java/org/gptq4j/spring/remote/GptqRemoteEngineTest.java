package org.gptq4j.spring.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.spring.GptqModelLoader;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The same chat-model properties against a remote engine: one gptq4j server (the starter's own OpenAI endpoint on
 * a loopback port) is the remote, and a second application with {@code chat-model.base-url} pointing at it gets
 * LangChain4j's OpenAI client as its beans, loads no model, and answers as the in-process model does: the same
 * greedy text (the sampling properties, top-k and repetition penalty included, reach the server), streaming, tool
 * calls and JSON schema output.
 */
class GptqRemoteEngineTest {
    /** The same in both applications: what moves from in-process to remote is base-url alone. */
    static final String[] SAMPLING = {"langchain4j.gptq.chat-model.model-name=stories",
            "langchain4j.gptq.chat-model.temperature=0", "langchain4j.gptq.chat-model.max-new-tokens=8",
            "langchain4j.gptq.chat-model.top-k=5", "langchain4j.gptq.chat-model.repetition-penalty=1.3",
            "spring.main.banner-mode=off"};
    static ConfigurableApplicationContext server;
    static ConfigurableApplicationContext client;

    @BeforeAll
    static void start() {
        server = new SpringApplicationBuilder(RemoteTestApplication.class).properties(SAMPLING).properties(
                "server.port=0", "server.address=127.0.0.1", "langchain4j.gptq.threads=1",
                "langchain4j.gptq.kv-cache-memory=2MB", "langchain4j.gptq.server.enabled=true",
                "langchain4j.gptq.chat-model.model-path=" + Fixtures.model(Fixtures.STORIES, "main")).run();
        String port = server.getEnvironment().getProperty("local.server.port");
        client = new SpringApplicationBuilder(RemoteTestApplication.class).web(WebApplicationType.NONE)
                .properties(SAMPLING)
                .properties("langchain4j.gptq.chat-model.base-url=http://127.0.0.1:" + port + "/v1").run();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    @Test
    void theRemoteApplicationHasOpenAiClientBeansAndNoEngine() {
        assertThat(client.getBean(ChatModel.class)).isInstanceOf(OpenAiChatModel.class);
        assertThat(client.getBean(StreamingChatModel.class)).isInstanceOf(OpenAiStreamingChatModel.class);
        assertThat(client.getBeanNamesForType(GptqModelLoader.class)).isEmpty();
        assertThat(client.getBeanNamesForType(Engine.class)).isEmpty();
        assertThat(server.getBean(ChatModel.class)).isInstanceOf(GptqChatModel.class);
    }

    @Test
    void theGreedyAnswerIsTheInProcessOne() {
        String inProcess = server.getBean(ChatModel.class).chat("Tom and Lily");
        String remote = client.getBean(ChatModel.class).chat("Tom and Lily");
        assertThat(remote).isNotEmpty().isEqualTo(inProcess);
    }

    @Test
    void theRemoteStreamCarriesTheSameAnswer() throws Exception {
        String inProcess = server.getBean(ChatModel.class).chat("Once upon a time");
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        StringBuilder parts = new StringBuilder();
        client.getBean(StreamingChatModel.class).chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                parts.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        assertThat(done.get(60, TimeUnit.SECONDS).aiMessage().text()).isEqualTo(parts.toString()).isEqualTo(inProcess);
    }

    @Test
    void toolCallsAndJsonSchemaGoThroughTheRemotePath() {
        ChatModel remote = client.getBean(ChatModel.class);
        ToolSpecification weather = ToolSpecification.builder().name("weather").parameters(JsonObjectSchema.builder()
                .addEnumProperty("city", java.util.List.of("Paris", "Rome")).required("city").build()).build();
        ChatResponse call = remote.chat(ChatRequest.builder().messages(UserMessage.from("Weather?"))
                .toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED).maxOutputTokens(120).build());
        assertThat(call.aiMessage().toolExecutionRequests()).as(call.toString()).isNotEmpty();
        assertThat(call.aiMessage().toolExecutionRequests().getFirst().name()).isEqualTo("weather");
        assertThat(call.aiMessage().toolExecutionRequests().getFirst().arguments()).matches("\\{\\s*\"city\"\\s*:\\s*\"(Paris|Rome)\"\\s*}");

        ChatResponse json = remote.chat(ChatRequest.builder().messages(UserMessage.from("A name"))
                .responseFormat(ResponseFormat.builder().type(dev.langchain4j.model.chat.request.ResponseFormatType.JSON)
                        .jsonSchema(JsonSchema.builder().name("person").rootElement(JsonObjectSchema.builder()
                                .addBooleanProperty("happy").required("happy").build()).build()).build())
                .maxOutputTokens(40).build());
        assertThat(json.aiMessage().text()).matches("\\s*\\{\\s*\"happy\"\\s*:\\s*(true|false)\\s*}\\s*");
    }
}
