package org.gptq4j.spring.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.gptq4j.engine.Engine;
import org.gptq4j.spring.GptqModelLoader;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The graceful drain on a real server: when the context closes (as on SIGTERM), readiness goes to
 * REFUSING_TRAFFIC, new API requests get 503 with Retry-After, the requests already accepted (a plain one and a
 * stream) finish, and only then is the engine closed; requests still held at {@code drain-timeout} are cut by the
 * engine's close.
 */
class GptqDrainTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The longest the test waits for any one HTTP answer: a request that hangs fails the test instead of holding it. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ConfigurableApplicationContext context;
    DrainTestApplication.Gate gate;

    private void start(String drainTimeout) {
        context = new SpringApplicationBuilder(DrainTestApplication.class).properties(
                "server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
                "langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=2MB",
                "langchain4j.gptq.chat-model.model-path=" + Fixtures.model(Fixtures.STORIES, "main"),
                "langchain4j.gptq.chat-model.max-new-tokens=8", "langchain4j.gptq.server.enabled=true",
                "langchain4j.gptq.drain-timeout=" + drainTimeout,
                "management.endpoint.health.probes.enabled=true").run();
        gate = context.getBean(DrainTestApplication.Gate.class);
    }

    @AfterEach
    void close() {
        if (gate != null) gate.open();
        if (context != null) context.close();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port") + path;
    }

    private CompletableFuture<HttpResponse<String>> chat(String text, boolean stream) {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + text + "\"}], \"max_tokens\": 6,"
                + " \"temperature\": 0, \"stream\": " + stream + "}";
        return http.sendAsync(HttpRequest.newBuilder(URI.create(url("/v1/chat/completions"))).timeout(ANSWER_TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The answer to a new plain request, waited for at most {@link #ANSWER_TIMEOUT}. */
    private HttpResponse<String> answer(String text) throws Exception {
        return chat(text, false).get(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Closes the context on a thread of its own, as SIGTERM's shutdown hook does. The drain blocks the closing thread
     * for as long as it waits; on the common pool ({@code CompletableFuture.runAsync(context::close)}), which has one
     * worker on a 2-core machine, it would also hold up every task queued there, among them the step by which the
     * JDK HttpClient completes each {@code sendAsync} future: answers the server sent within milliseconds would not
     * reach the test until the close returned.
     */
    private CompletableFuture<Void> closeContext() {
        return CompletableFuture.runAsync(context::close, task -> Thread.ofPlatform().name("context-close").start(task));
    }

    private Engine engine() {
        return context.getBean(GptqModelLoader.class).loadedEngine().orElseThrow();
    }

    @Test
    void requestsInFlightFinishNewOnesGet503AndThenTheEngineCloses() throws Exception {
        start("30s");
        ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
        Engine engine = engine();
        CompletableFuture<HttpResponse<String>> plain = chat(DrainTestApplication.Gate.HOLD + " Tom", false);
        CompletableFuture<HttpResponse<String>> stream = chat(DrainTestApplication.Gate.HOLD + " Lily", true);
        assertThat(gate.held.tryAcquire(2, 30, TimeUnit.SECONDS)).as("both requests accepted and held").isTrue();

        CompletableFuture<Void> shutdown = closeContext();
        await().atMost(Duration.ofSeconds(30)).until(() -> availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC);
        HttpResponse<String> refused = await().atMost(Duration.ofSeconds(30))
                .until(() -> answer("Once upon a time"), r -> r.statusCode() == 503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(JSON.readTree(refused.body()).path("error").path("code").asText()).isEqualTo("shutting_down");
        for (int i = 0; i < 2; i++) {
            assertThat(answer("Once upon a time").statusCode()).as("every new request on the same client").isEqualTo(503);
        }
        HttpResponse<String> readiness = http.send(HttpRequest.newBuilder(URI.create(url("/actuator/health/readiness")))
                .timeout(ANSWER_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(readiness.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(readiness.body()).path("status").asText()).isEqualTo("OUT_OF_SERVICE");
        assertThat(shutdown).as("the drain waits for the held requests").isNotDone();
        assertThat(engine.isRunning()).isTrue();

        gate.open();
        HttpResponse<String> plainDone = plain.get(30, TimeUnit.SECONDS);
        assertThat(plainDone.statusCode()).as(plainDone.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(plainDone.body()).path("choices").get(0).path("message").path("content");
        assertThat(answer.asText()).isNotEmpty();
        HttpResponse<String> streamDone = stream.get(30, TimeUnit.SECONDS);
        assertThat(streamDone.statusCode()).isEqualTo(200);
        assertThat(streamDone.body()).contains("\"finish_reason\"").endsWith("data: [DONE]\n\n");
        shutdown.get(30, TimeUnit.SECONDS);
        assertThat(engine.isRunning()).as("closed after the drain").isFalse();
    }

    /**
     * Requests (a plain one and a stream) still held at the drain timeout are cut by the engine's close: 503
     * {@code engine_closed}, each logged once at WARN without a stack trace, since that is what a drain that timed out
     * is meant to do (it was an ERROR with the whole stack trace).
     */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void requestsStillInFlightAtTheDrainTimeoutAreCutByClosingTheEngineAndLoggedOnceEachAtWarn(CapturedOutput output)
            throws Exception {
        start("200ms");
        Engine engine = engine();
        CompletableFuture<HttpResponse<String>> plain = chat(DrainTestApplication.Gate.HOLD + " Tom", false);
        CompletableFuture<HttpResponse<String>> stream = chat(DrainTestApplication.Gate.HOLD + " Lily", true);
        assertThat(gate.held.tryAcquire(2, 30, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Void> shutdown = closeContext();
        await().atMost(Duration.ofSeconds(30)).until(() -> !engine.isRunning());
        int before = output.getAll().length();
        gate.open(); // the held requests go on, to a closed engine
        for (CompletableFuture<HttpResponse<String>> held : List.of(plain, stream)) {
            HttpResponse<String> cut = held.get(30, TimeUnit.SECONDS);
            assertThat(cut.statusCode()).as(cut.body()).isEqualTo(503);
            assertThat(cut.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(JSON.readTree(cut.body()).path("error").path("code").asText()).isEqualTo("engine_closed");
        }
        shutdown.get(30, TimeUnit.SECONDS);
        String logged = output.getAll().substring(before);
        assertThat(logged.lines().filter(line -> line.contains("engine_closed")))
                .as("one line per cut request, at WARN").hasSize(2).allMatch(line -> line.contains(" WARN "));
        assertThat(logged).doesNotContain(" ERROR ", "EngineClosedException", "\tat ");
    }
}
