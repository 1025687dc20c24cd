package com.example;

import dev.langchain4j.model.chat.ChatModel;
import java.nio.file.Path;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;

/** One question to a local GPTQ model: java -jar langchain4j-app-1.0.jar MODEL_FOLDER "QUESTION" */
public class Main {
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: java -jar langchain4j-app-1.0.jar MODEL_FOLDER QUESTION");
            System.exit(2);
        }
        try (Engine engine = Engine.builder().modelPath(Path.of(args[0])).build()) {
            ChatModel model = GptqChatModel.builder().engine(engine).maxOutputTokens(32).build();
            System.out.println(model.chat(args[1]));
        }
    }
}
