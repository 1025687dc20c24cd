package org.gptq4j.samples.springchat;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A web chat on the gptq4j Spring Boot starter: open http://localhost:8080, type, and watch the answer stream in.
 * The OpenAI-compatible API is on too ({@code POST /v1/chat/completions}). The model is set in
 * {@code application.properties}; without one, the embedded stories260K model ({@link EmbeddedModelDefault}).
 */
@SpringBootApplication
public class SpringChatApplication {

    public static void main(String[] args) {
        SpringApplication.run(SpringChatApplication.class, args);
    }
}
