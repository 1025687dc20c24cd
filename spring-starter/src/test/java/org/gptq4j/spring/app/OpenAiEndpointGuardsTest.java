package org.gptq4j.spring.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The OpenAI endpoint against hostile clients, over a real server on loopback: API keys, the request size limit (with
 * and without {@code Content-Length}), numbers that do not fit, too many stop sequences, a prompt far too long for the
 * context, and Spring's own 404/405/406 — each answered in the OpenAI error shape, never with a class name, and
 * logged at most once in a while without a stack trace.
 */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "server.address=127.0.0.1",
        "langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=2MB",
        "langchain4j.gptq.chat-model.model-name=stories", "langchain4j.gptq.chat-model.max-new-tokens=20",
        "langchain4j.gptq.server.enabled=true", "langchain4j.gptq.server.max-request-size=1MB",
        "langchain4j.gptq.server.api-keys=first-key,second-key", "langchain4j.gptq.server.max-tokens=8"})
class OpenAiEndpointGuardsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY = "second-key";
    static final int LIMIT = 1024 * 1024;
    final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("langchain4j.gptq.chat-model.model-path", () -> Fixtures.model(Fixtures.STORIES, "main").toString());
    }

    @Value("${local.server.port}")
    int port;

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + KEY);
    }

    private HttpResponse<String> post(String body) throws Exception {
        return send(request("/v1/chat/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(java.time.Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The OpenAI error object of {@code response}, after checking its status and that it names no class. */
    private static JsonNode error(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(response.body()).doesNotContain("org.gptq4j", "org.springframework", "java.", "Exception", "public ");
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.isObject()).as(response.body()).isTrue();
        assertThat(error.path("message").asText()).isNotBlank();
        assertThat(error.has("type") && error.has("param") && error.has("code")).isTrue();
        return error;
    }

    private static String chat(String extra) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}]" + extra + "}";
    }

    @Test
    void withoutTheRightKeyEveryApiPathIs401AndTheBodyIsNotRead() throws Exception {
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(error(none, 401).path("code").asText()).isEqualTo("invalid_api_key");
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer second-kez").POST(HttpRequest.BodyPublishers.ofString(chat(""))));
        assertThat(error(wrong, 401).path("message").asText()).isEqualTo("Incorrect API key provided").doesNotContain("second-kez");
        HttpResponse<String> unknownPath = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/nope")).build(),
                HttpResponse.BodyHandlers.ofString());
        error(unknownPath, 401);
        HttpResponse<String> tooLargeButUnauthenticated = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString("x".repeat(2 * LIMIT))));
        error(tooLargeButUnauthenticated, 401);

        assertThat(send(request("/v1/models").GET()).statusCode()).isEqualTo(200);
        assertThat(send(request("/v1/models").header("Authorization", "bearer first-key").GET()).statusCode()).isEqualTo(200);
    }

    /** 400 MB of JSON ended in an OutOfMemoryError: a body announcing more than the limit is refused unread. */
    @Test
    void aBodyAnnouncingMoreThanTheLimitIs413BeforeAnyOfItIsRead() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 419430400\r\n\r\n{\"messages\": [").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (head.indexOf("\r\n\r\n") < 0) head.append((char) in.read());
            assertThat(head.toString()).startsWith("HTTP/1.1 413 ");
            int length = Integer.parseInt(head.toString().replaceAll("(?s).*[Cc]ontent-[Ll]ength: (\\d+).*", "$1"));
            JsonNode error = JSON.readTree(in.readNBytes(length)).path("error");
            assertThat(error.path("code").asText()).isEqualTo("request_too_large");
            assertThat(error.path("message").asText()).contains("1048576 bytes");
        }
    }

    @Test
    void aChunkedBodyThatGrowsPastTheLimitIs413() throws Exception {
        String body = chat("").replace("Once upon a time", "a".repeat(LIMIT + 200_000));
        InputStream chunks = new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = send(request("/v1/chat/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> chunks))); // no length: chunked
        assertThat(error(response, 413).path("code").asText()).isEqualTo("request_too_large");
        assertThat(post(chat(", \"max_tokens\": 2")).statusCode()).as("the next request").isEqualTo(200);
    }

    /** An empty body gave a 500 naming the handler method, and an ERROR with a stack trace each time. */
    @Test
    void anEmptyBodyIsA400LoggedAtMostOnceWithoutAStackTrace(CapturedOutput output) throws Exception {
        int before = output.getOut().length() + output.getErr().length();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = send(request("/v1/chat/completions").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(error(response, 400).path("type").asText()).isEqualTo("invalid_request_error");
        }
        String logged = output.getAll().substring(Math.min(before, output.getAll().length()));
        assertThat(logged).doesNotContain("ERROR", "\tat ");
        assertThat(logged.lines().filter(l -> l.contains("request body is empty") && l.contains("WARN")).count())
                .as("WARN lines for 20 empty bodies").isLessThanOrEqualTo(1);
    }

    @Test
    void springsOwn404And405And406UseTheOpenAiShapeOnApiPathsOnly() throws Exception {
        assertThat(error(send(request("/v1/nope").GET()), 404).path("message").asText()).isEqualTo("Invalid URL (GET /v1/nope)");
        HttpResponse<String> get = send(request("/v1/chat/completions").GET());
        assertThat(error(get, 405).path("message").asText()).contains("use POST");
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        error(send(request("/v1/models").header("Accept", "text/html").GET()), 406);
        HttpResponse<String> notApi = send(request("/nope").GET());
        assertThat(notApi.statusCode()).isEqualTo(404);
        assertThat(notApi.body()).doesNotContain("Invalid URL");
    }

    /** {@code max_tokens} 4294967297 became 1 token and {@code top_k} 2^32 became 0: now each is refused by name. */
    @Test
    void numbersThatDoNotFitAreRefusedNamingTheField() throws Exception {
        for (String[] c : new String[][] {{"max_tokens", "4294967297"}, {"max_completion_tokens", "-1"}, {"top_k", "4294967296"},
                {"n", "4294967297"}, {"seed", "1e30"}, {"temperature", "1e400"}, {"temperature", "-0.5"}, {"top_p", "1.5"},
                {"top_p", "0"}, {"min_p", "2"}, {"frequency_penalty", "3"}, {"max_tokens", "2.5"}, {"stream", "\"yes\""}}) {
            JsonNode error = error(post(chat(", \"" + c[0] + "\": " + c[1])), 400);
            assertThat(error.path("param").asText()).as(c[0] + "=" + c[1]).isEqualTo(c[0]);
        }
    }

    @Test
    void maxTokensIsCappedByTheServer() throws Exception {
        assertThat(error(post(chat(", \"max_tokens\": 9")), 400).path("message").asText())
                .isEqualTo("max_tokens must be at most 8 on this server, got 9");
        JsonNode capped = JSON.readTree(post(chat(", \"temperature\": 0")).body());
        assertThat(capped.path("usage").path("completion_tokens").asInt()).as("chat-model.max-new-tokens is 20").isEqualTo(8);
        assertThat(capped.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
    }

    /** 200,000 stop strings made a concurrent request 11x slower: their number and length are bounded. */
    @Test
    void stopSequencesAreBounded() throws Exception {
        String many = JSON.writeValueAsString(Collections.nCopies(200_000, "a"));
        assertThat(error(post(chat(", \"stop\": " + many)), 400).path("message").asText())
                .isEqualTo("stop must be at most 16 texts, but was 200000 texts");
        error(post(chat(", \"stop\": " + JSON.writeValueAsString(Collections.nCopies(17, "a")))), 400);
        assertThat(error(post(chat(", \"stop\": " + JSON.writeValueAsString(List.of("x".repeat(300))))), 400)
                .path("param").asText()).isEqualTo("stop");
        assertThat(post(chat(", \"max_tokens\": 2, \"stop\": " + JSON.writeValueAsString(Collections.nCopies(16, "zzz"))))
                .statusCode()).isEqualTo(200);
    }

    /** A message far beyond the context is refused by its bound, before it is tokenized, with the length error. */
    @Test
    void aMessageFarLongerThanTheContextIsRefusedWithThePromptLengthError() throws Exception {
        JsonNode error = error(post(chat("").replace("Once upon a time", "Once upon a time. ".repeat(50_000))), 400);
        assertThat(error.path("message").asText()).startsWith("the prompt has at least ")
                .endsWith("tokens, which leaves no room in the context window of 512 tokens");
    }

    /** With {@code stream: true} too: a 400 before the stream starts, not a 200 with an error event. */
    @Test
    void aTooLongPromptWithStreamTrueIsA400BeforeTheStreamStarts() throws Exception {
        HttpResponse<String> response = post(chat(", \"stream\": true").replace("Once upon a time",
                "Once upon a time. ".repeat(50_000)));
        JsonNode error = error(response, 400);
        assertThat(error.path("message").asText()).contains("leaves no room in the context window of 512 tokens");
        assertThat(response.body()).doesNotContain("data:");
    }

    /** Each field is honoured, accepted as OpenAI does ({@code user}) or refused by name; none is ignored. */
    @Test
    void unsupportedFieldsAreRefusedByNameAndUserIsAccepted() throws Exception {
        for (String field : new String[] {"audio", "modalities", "prediction", "service_tier", "functions",
                "web_search_options", "reasoning_effort"}) {
            JsonNode error = error(post(chat(", \"" + field + "\": {}, \"max_tokens\": 2")), 400);
            assertThat(error.path("param").asText()).as(field).isEqualTo(field);
            assertThat(error.path("message").asText()).as(field).contains(field).contains("not supported");
        }
        assertThat(post(chat(", \"user\": \"user-1234\", \"max_tokens\": 2")).statusCode()).isEqualTo(200);
        assertThat(post(chat(", \"audio\": null, \"max_tokens\": 2")).statusCode()).as("null is absent").isEqualTo(200);
        assertThat(error(post(chat(", \"user\": 5")), 400).path("param").asText()).isEqualTo("user");
        assertThat(error(post(chat(", \"top_logprobs\": 21, \"logprobs\": true")), 400).path("param").asText())
                .isEqualTo("top_logprobs");
        assertThat(error(post(chat(", \"top_logprobs\": 2")), 400).path("message").asText()).contains("logprobs");
        assertThat(error(post(chat(", \"logit_bias\": {\"x\": 1}")), 400).path("param").asText()).isEqualTo("logit_bias");
        assertThat(error(post(chat(", \"logit_bias\": {\"5\": 101}")), 400).path("param").asText()).isEqualTo("logit_bias");
        assertThat(error(post(chat(", \"logit_bias\": {\"99999999\": 1}")), 400).path("message").asText())
                .contains("vocabulary");
    }
}
