package org.gptq4j.spring.lb;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One client's multi-turn chat through the load balancer: every turn sends the whole conversation so far (so each
 * prompt starts with the previous one, as a chat application's do) with the session's {@code X-Session-Id}, and keeps
 * the assistant's answer for the next turn. Records the status of every turn.
 */
final class Conversation {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI endpoint;
    final String session;
    private final ArrayNode messages = JSON.createArrayNode();
    final List<Integer> statuses = new ArrayList<>();

    Conversation(URI endpoint, String session) {
        this.endpoint = endpoint;
        this.session = session;
    }

    /** Sends one user turn (greedy, a few tokens), keeps the answer; the HTTP status. */
    int say(String text) throws IOException, InterruptedException {
        messages.addObject().put("role", "user").put("content", text);
        HttpResponse<String> response = send(messages);
        statuses.add(response.statusCode());
        if (response.statusCode() == 200) {
            String answer = JSON.readTree(response.body()).path("choices").path(0).path("message").path("content").asText();
            messages.addObject().put("role", "assistant").put("content", answer);
        } else {
            messages.remove(messages.size() - 1);
        }
        return response.statusCode();
    }

    /** One request with these messages in this session, outside the conversation. */
    HttpResponse<String> send(ArrayNode turns) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("max_tokens", 8).put("temperature", 0);
        body.set("messages", turns);
        return http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("X-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    static ArrayNode userMessage(String text) {
        ArrayNode turns = JSON.createArrayNode();
        turns.addObject().put("role", "user").put("content", text);
        return turns;
    }
}
