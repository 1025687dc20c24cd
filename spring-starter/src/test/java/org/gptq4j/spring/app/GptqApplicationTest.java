package org.gptq4j.spring.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real application on the stories260K fixture: the beans answer, the OpenAI-compatible endpoint answers JSON and
 * server-sent events (also to LangChain4j's own OpenAI client), and Actuator reports health and metrics.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=2MB",
        "langchain4j.gptq.chat-model.model-name=stories", "langchain4j.gptq.chat-model.max-new-tokens=12",
        "langchain4j.gptq.server.enabled=true",
        "management.endpoints.web.exposure.include=health,metrics", "management.endpoint.health.show-details=always"})
class GptqApplicationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("langchain4j.gptq.chat-model.model-path", () -> Fixtures.model(Fixtures.STORIES, "main").toString());
    }

    @Value("${local.server.port}")
    int port;

    @Autowired
    ChatModel chatModel;

    @Autowired
    StreamingChatModel streamingChatModel;

    @Autowired
    MeterRegistry meters;

    private String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(path))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    @Test
    void theChatModelBeanAnswers() {
        assertThat(chatModel).isInstanceOf(GptqChatModel.class);
        assertThat(chatModel.chat("Once upon a time")).isNotBlank();
    }

    @Test
    void theStreamingBeanStreams() throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        StringBuilder parts = new StringBuilder();
        streamingChatModel.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).build(),
                new StreamingChatResponseHandler() {
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
        assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo(parts.toString()).isNotEmpty();
    }

    @Test
    void chatCompletionsAnswersOpenAiJsonWithUsage() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", """
                {"model": "stories", "messages": [{"role": "user", "content": "Once upon a time"}],
                 "max_tokens": 5, "temperature": 0, "seed": 7, "top_p": 0.9}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        assertThat(body.path("model").asText()).isEqualTo("stories");
        JsonNode choice = body.path("choices").get(0);
        assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asText()).isNotEmpty();
        assertThat(choice.path("finish_reason").asText()).isIn("stop", "length");
        JsonNode usage = body.path("usage");
        assertThat(usage.path("completion_tokens").asInt()).isBetween(1, 5);
        assertThat(usage.path("prompt_tokens").asInt()).isPositive();
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
    }

    @Test
    void completionsCarryTheirOwnCreationTimeANullRefusalAndLogprobsWhenAsked() throws Exception {
        long before = java.time.Instant.now().getEpochSecond();
        JsonNode plain = JSON.readTree(post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 3}""").body());
        assertThat(plain.path("created").asLong()).isBetween(before, java.time.Instant.now().getEpochSecond());
        JsonNode choice = plain.path("choices").get(0);
        assertThat(choice.has("logprobs")).isTrue();
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.path("message").has("refusal")).isTrue();
        assertThat(choice.path("message").get("refusal").isNull()).isTrue();

        JsonNode withLogprobs = JSON.readTree(post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 4, "temperature": 0,
                 "logprobs": true, "top_logprobs": 2}""").body());
        JsonNode lp = withLogprobs.path("choices").get(0).path("logprobs");
        JsonNode content = lp.path("content");
        assertThat(content.size()).isEqualTo(withLogprobs.path("usage").path("completion_tokens").asInt());
        StringBuilder text = new StringBuilder();
        for (JsonNode token : content) {
            text.append(token.path("token").asText());
            assertThat(token.path("logprob").asDouble()).isLessThanOrEqualTo(0.0);
            assertThat(token.path("top_logprobs")).hasSize(2);
            // greedy: the chosen token is the most likely one
            assertThat(token.path("top_logprobs").get(0).path("token").asText()).isEqualTo(token.path("token").asText());
            assertThat(token.path("bytes").isArray()).isTrue();
        }
        assertThat(text.toString().strip()).isEqualTo(withLogprobs.path("choices").get(0).path("message")
                .path("content").asText().strip());
    }

    @Test
    void logitBiasAndParallelToolCallsReachTheModel() throws Exception {
        JsonNode biased = JSON.readTree(post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 3, "temperature": 0,
                 "logprobs": true, "logit_bias": {"300": 100}}""").body());
        for (JsonNode token : biased.path("choices").get(0).path("logprobs").path("content")) {
            assertThat(token.path("logprob").asDouble()).as("token 300 all but forced").isGreaterThan(-0.01);
        }
        HttpResponse<String> parallel = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Weather?"}], "max_tokens": 80, "parallel_tool_calls": false,
                 "tools": [{"type": "function", "function": {"name": "weather",
                   "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 8}},
                   "required": ["city"]}}}], "tool_choice": "required"}""");
        assertThat(parallel.statusCode()).as(parallel.body()).isEqualTo(200);
        JsonNode calls = JSON.readTree(parallel.body()).path("choices").get(0).path("message").path("tool_calls");
        assertThat(calls).hasSize(1);
    }

    @Test
    void greedyAnswersOverHttpEqualTheBeansAnswer() throws Exception {
        String viaBean = chatModel.chat(ChatRequest.builder().messages(UserMessage.from("Tom and Lily"))
                .temperature(0.0).maxOutputTokens(6).build()).aiMessage().text();
        JsonNode body = JSON.readTree(post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Tom and Lily"}], "max_tokens": 6, "temperature": 0}""").body());
        assertThat(body.path("choices").get(0).path("message").path("content").asText()).isEqualTo(viaBean);
    }

    @Test
    void streamingSendsChunksUsageAndEndsWithDone() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 6, "temperature": 0,
                 "stream": true, "stream_options": {"include_usage": true}}""");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        String[] events = response.body().split("\n\n");
        assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
        List<JsonNode> chunks = new java.util.ArrayList<>();
        for (int i = 0; i < events.length - 1; i++) {
            assertThat(events[i]).startsWith("data: ");
            chunks.add(JSON.readTree(events[i].substring("data: ".length())));
        }
        assertThat(chunks.getFirst().path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> c.path("choices").forEach(ch -> text.append(ch.path("delta").path("content").asText(""))));
        JsonNode usage = chunks.getLast();
        assertThat(usage.path("choices")).isEmpty();
        assertThat(usage.path("usage").path("completion_tokens").asInt()).isBetween(1, 6);
        assertThat(chunks.get(chunks.size() - 2).path("choices").get(0).path("finish_reason").asText()).isIn("stop", "length");
        String greedy = JSON.readTree(post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 6, "temperature": 0}""")
                .body()).path("choices").get(0).path("message").path("content").asText();
        assertThat(text.toString()).isEqualTo(greedy);
    }

    @Test
    void errorsUseOpenAisErrorObject() throws Exception {
        HttpResponse<String> otherModel = post("/v1/chat/completions", """
                {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}""");
        assertThat(otherModel.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(otherModel.body()).path("error").path("code").asText()).isEqualTo("model_not_found");
        HttpResponse<String> badTemperature = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "hi"}], "temperature": -1}""");
        assertThat(badTemperature.statusCode()).as(badTemperature.body()).isEqualTo(400);
        assertThat(JSON.readTree(badTemperature.body()).path("error").path("type").asText()).isEqualTo("invalid_request_error");
        HttpResponse<String> image = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""");
        assertThat(image.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(image.body()).path("error").path("param").asText()).isEqualTo("messages[0].content");
        assertThat(post("/v1/chat/completions", "{not json").statusCode()).isEqualTo(400);
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        JsonNode models = get("/v1/models");
        assertThat(models.path("object").asText()).isEqualTo("list");
        assertThat(models.path("data").get(0).path("id").asText()).isEqualTo("stories");
        assertThat(get("/v1/models/stories").path("owned_by").asText()).isEqualTo("gptq4j");
    }

    @Test
    void langChain4jsOwnOpenAiClientsTalkToTheEndpoint() throws Exception {
        OpenAiChatModel client = OpenAiChatModel.builder().baseUrl(url("/v1")).apiKey("unused").modelName("stories")
                .temperature(0.0).maxTokens(5).timeout(Duration.ofSeconds(30)).build();
        ChatResponse response = client.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).build());
        assertThat(response.aiMessage().text()).isNotEmpty();
        assertThat(response.tokenUsage().outputTokenCount()).isBetween(1, 5);
        assertThat(response.modelName()).isEqualTo("stories");

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(url("/v1")).apiKey("unused")
                .modelName("stories").temperature(0.0).maxTokens(5).timeout(Duration.ofSeconds(30)).build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("Once upon a time")).build(),
                new StreamingChatResponseHandler() {
                    @Override
                    public void onCompleteResponse(ChatResponse r) {
                        done.complete(r);
                    }

                    @Override
                    public void onError(Throwable error) {
                        done.completeExceptionally(error);
                    }
                });
        assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo(response.aiMessage().text());
    }

    @Test
    void actuatorReportsHealthAndMetrics() throws Exception {
        chatModel.chat("Once upon a time");
        JsonNode health = get("/actuator/health");
        JsonNode gptq = health.path("components").path("gptq");
        assertThat(gptq.path("status").asText()).isEqualTo("UP");
        assertThat(gptq.path("details").path("loaded").asBoolean()).isTrue();
        assertThat(gptq.path("details").path("kvBlocksTotal").asInt()).isPositive();
        assertThat(gptq.path("details").has("queueDepth")).isTrue();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(meters.get("gptq.requests")
                .tag("outcome", "completed").functionCounter().count()).isPositive());
        assertThat(meters.get("gptq.time.to.first.token").timer().count()).isPositive();
        assertThat(meters.get("gptq.tokens.generated").functionCounter().count()).isPositive();
        assertThat(meters.find("gptq.tokens.per.second").gauge()).isNotNull();
        assertThat(meters.find("gptq.queue.depth").gauge().value()).isZero();
        assertThat(meters.find("gptq.prefix.cache.hit.rate").gauge()).isNotNull();
        JsonNode metric = get("/actuator/metrics/gptq.time.to.first.token");
        assertThat(metric.path("measurements").get(0).path("value").asDouble()).isPositive();
    }
}
