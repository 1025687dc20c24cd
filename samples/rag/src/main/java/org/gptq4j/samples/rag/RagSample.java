package org.gptq4j.samples.rag;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.data.document.Document;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.samples.EmbeddedModel;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Retrieval-augmented generation with LangChain4j: the documents are ingested into an in-memory embedding store,
 * and our in-process {@link GptqChatModel} answers each question with the passage retrieved for it. Every prompt
 * starts with the same system message, so the engine's prefix cache serves it from the second question on.
 *
 * <p>Usage: {@code samples/run rag [MODEL_FOLDER] [QUESTION...]}; without a folder, the embedded stories260K model
 * (which answers in children's stories: use a chat model such as firefly-llama2-7B-chat-GPTQ for real answers).
 */
public final class RagSample {
    static final List<String> QUESTIONS = List.of(
            "Which JDK does gptq4j need?",
            "Which GPTQ branch should I pick for accuracy?",
            "What does the prefix-cache hit rate measure?");

    public static void main(String[] args) {
        Path model = args.length > 0 ? Path.of(args[0]) : EmbeddedModel.folder();
        List<String> questions = args.length > 1 ? Arrays.asList(args).subList(1, args.length) : QUESTIONS;
        run(model, questions, System.out);
    }

    /** Answers the questions; returns the engine's prefix-cache hit rate after each answer. */
    static List<Double> run(Path modelFolder, List<String> questions, PrintStream out) {
        try (Engine engine = Engine.builder().modelPath(modelFolder).build()) {
            ChatModel chatModel = GptqChatModel.builder()
                    .engine(engine)
                    .temperature(0.0)
                    .maxOutputTokens(96)
                    .build();
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(chatModel)
                    .contentRetriever(Knowledge.ingest("documents"))
                    .build();
            return questions.stream().map(question -> {
                Result<String> answer = assistant.answer(question);
                double hitRate = engine.metrics().prefixCacheHitRate();
                out.println("Q: " + question);
                out.println("A: " + answer.content().strip());
                out.printf(Locale.ROOT, "   (source: %s; prefix-cache hit rate so far: %.0f%%)%n%n", sources(answer), 100 * hitRate);
                return hitRate;
            }).toList();
        }
    }

    private static String sources(Result<String> answer) {
        return answer.sources().stream()
                .map(content -> content.textSegment().metadata().getString(Document.FILE_NAME))
                .distinct().collect(Collectors.joining(", "));
    }
}
