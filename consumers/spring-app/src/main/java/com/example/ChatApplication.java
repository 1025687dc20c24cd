package com.example;

import dev.langchain4j.model.chat.ChatModel;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** GET /chat?message=... answers with the gptq4j starter's ChatModel bean (configured in application.properties). */
@SpringBootApplication
@RestController
public class ChatApplication {
    private final ChatModel chat;

    ChatApplication(ChatModel chat) {
        this.chat = chat;
    }

    @GetMapping("/chat")
    String chat(@RequestParam String message) {
        return chat.chat(message);
    }

    public static void main(String[] args) {
        SpringApplication.run(ChatApplication.class, args);
    }
}
