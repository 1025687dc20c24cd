package org.gptq4j.cli;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import org.gptq4j.engine.Engine;
import org.gptq4j.langchain4j.GptqChatModel;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code chat} through standard input, in process, on the stories260K fixture. */
class ChatCommandTest {
    static final Path MODEL = Fixtures.model(Fixtures.STORIES, "main");

    record Run(int exitCode, String out, String err) {}

    static Run chat(String input, String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("chat"));
        args.addAll(List.of(options));
        int code = Gptq4jCli.run(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                args.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The answers the LangChain4j model gives to the same turns, each with the conversation before it. */
    static List<String> expectedAnswers(List<String> questions, int maxTokens) {
        List<String> answers = new ArrayList<>();
        try (Engine engine = Engine.builder().modelPath(MODEL).build();
             GptqChatModel model = GptqChatModel.builder().engine(engine).modelPath(MODEL).chatTemplate("raw")
                     .temperature(0.0).maxOutputTokens(maxTokens).build()) {
            List<ChatMessage> history = new ArrayList<>();
            for (String question : questions) {
                history.add(UserMessage.from(question));
                String answer = model.chat(ChatRequest.builder().messages(history).build()).aiMessage().text();
                history.add(AiMessage.from(answer));
                answers.add(answer);
            }
        }
        return answers;
    }

    @Test
    void eachPipedLineIsATurnAnsweredWithTheConversationSoFar() {
        Run run = chat("Once upon a time\nThe dog was happy\n", "--model", MODEL.toString(), "--template", "raw",
                "--temperature", "0", "--max-tokens", "24");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> expected = expectedAnswers(List.of("Once upon a time", "The dog was happy"), 24);
        assertThat(expected.get(0)).isNotBlank().isNotEqualTo(expected.get(1));
        assertThat(run.out()).isEqualTo(expected.get(0) + System.lineSeparator() + expected.get(1) + System.lineSeparator());
        assertThat(run.err()).contains("template raw");
    }

    @Test
    void clearForgetsTheConversation() {
        Run run = chat("The dog was happy\n/clear\nThe dog was happy\n", "--model", MODEL.toString(),
                "--temperature", "0", "--max-new-tokens", "16");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String[] answers = run.out().split(System.lineSeparator());
        assertThat(answers).hasSize(2);
        assertThat(answers[1]).isNotBlank().isEqualTo(answers[0]);
        assertThat(run.err()).contains("(conversation cleared)");
    }

    @Test
    void commandsChangeTheSamplingSettings() {
        Run run = chat("/temperature 0\n/top-p 0.5\n/top-k 3\n/seed 42\n/max-tokens 5\n/settings\n/seed off\n"
                + "/top-p 2\n/temperature hot\n/bogus\n/help\n/exit\nnever answered\n");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
        assertThat(run.err())
                .contains("temperature 0.0, top-p 0.5, top-k 3, seed 42, max-new-tokens 5")
                .contains("seed none")
                .contains("/top-p must be in (0, 1]")
                .contains("/temperature needs a number, not 'hot'")
                .contains("unknown command /bogus")
                .contains("/clear           forget the conversation")
                .contains("embedded")
                .contains("not a chat model");
    }

    @Test
    void maxTokensBoundsTheAnswer() {
        Run run = chat("/max-tokens 3\nOnce upon a time\n", "--temperature", "0");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> expected = expectedAnswersOnEmbedded();
        assertThat(run.out().strip()).isEqualTo(expected.getFirst().strip());
    }

    private static List<String> expectedAnswersOnEmbedded() {
        // the embedded model is the fixture's main branch
        return expectedAnswers(List.of("Once upon a time"), 3);
    }

    private static void waitUntil(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not true within " + timeout);
            Thread.sleep(10);
        }
    }

    static final String LONG_LINE = "The little dog ran to the park and played with a red ball all day long. "
            .repeat(3).strip();

    /** A chat of {@code lines} on a fresh engine, with the memory {@code memoryFor} makes; returns standard error. */
    record Session(String out, String err, List<ChatMessage> history, int historyTokens, long completed) {}

    static Session session(String lines, int maxTokens,
                           java.util.function.BiFunction<GptqStreamingChatModel, Engine, dev.langchain4j.memory.ChatMemory> memoryFor)
            throws Exception {
        try (Engine engine = Engine.builder().modelPath(MODEL).build();
             GptqStreamingChatModel model = GptqStreamingChatModel.builder().engine(engine).modelPath(MODEL)
                     .chatTemplate("raw").build()) {
            ChatSettings settings = new ChatSettings();
            settings.set("temperature", "0");
            settings.set("max-tokens", Integer.toString(maxTokens));
            var memory = memoryFor.apply(model, engine);
            StringWriter out = new StringWriter(), err = new StringWriter();
            new ChatSession(model, memory, null, settings, new PrintWriter(out, true), new PrintWriter(err, true), false)
                    .run(new BufferedReader(new java.io.StringReader(lines)));
            waitUntil(Duration.ofSeconds(10), () -> engine.metrics().runningSequences() == 0);
            List<ChatMessage> history = memory.messages();
            return new Session(out.toString(), err.toString(), history,
                    model.tokenCountEstimator().estimateTokenCountInMessages(history),
                    engine.metrics().requestsCompleted());
        }
    }

    static dev.langchain4j.memory.ChatMemory contextWindow(GptqStreamingChatModel model, Engine engine, int maxTokens) {
        return ContextWindowMemory.create(model.tokenCountEstimator(), engine.limits(), () -> maxTokens);
    }

    @Test
    void aLongChatDropsItsOldestTurnsInsteadOfOutgrowingTheContext() throws Exception {
        String lines = (LONG_LINE + "\n").repeat(8);
        Session messageWindow = session(lines, 100, (model, engine) -> MessageWindowChatMemory.withMaxMessages(10));
        assertThat(messageWindow.err()).as("these turns outgrow the 512-token context of stories260K")
                .contains("error:");

        Session session = session(lines, 100, (model, engine) -> contextWindow(model, engine, 100));
        assertThat(session.err()).doesNotContain("error");
        assertThat(session.completed()).as("every turn answered").isEqualTo(8);
        assertThat(session.historyTokens()).isLessThanOrEqualTo(512 - 100);
        assertThat(session.history()).as("the oldest turns were dropped").hasSizeLessThan(16)
                .last().isInstanceOf(AiMessage.class);
    }

    @Test
    void aMessageTooLongForTheContextIsRefusedAndTheConversationGoesOn() throws Exception {
        Session session = session("Once upon a time\n" + (LONG_LINE + " ").repeat(12) + "\nThe dog was happy\n", 24,
                (model, engine) -> contextWindow(model, engine, 24));
        assertThat(session.err()).contains("error: the message does not fit in the model's context beside an answer"
                + " of up to 24 tokens");
        assertThat(session.completed()).isEqualTo(2);
        assertThat(session.history()).hasSize(4);
        assertThat(session.history().getFirst()).isEqualTo(UserMessage.from("Once upon a time"));
        assertThat(session.history().get(2)).isEqualTo(UserMessage.from("The dog was happy"));
    }

    @Test
    void theHistoryRoomIsTheContextLessTheAnswerBudget() {
        var limits = new org.gptq4j.engine.EngineLimits(511, 512, 256, 16, 128, Duration.ofMinutes(1));
        assertThat(ContextWindowMemory.maxPromptTokens(limits, 100)).isEqualTo(412);
        assertThat(ContextWindowMemory.maxPromptTokens(limits, 0)).as("within the input limit").isEqualTo(511);
        assertThat(ContextWindowMemory.maxPromptTokens(limits, 600)).as("never below 1").isEqualTo(1);
    }

    @Test
    void ctrlCStopsTheAnswerAndTheChatGoesOn() throws Exception {
        try (Engine engine = Engine.builder().modelPath(MODEL).build();
             GptqStreamingChatModel model = GptqStreamingChatModel.builder().engine(engine).modelPath(MODEL)
                     .chatTemplate("raw").build()) {
            ChatSettings settings = new ChatSettings();
            settings.set("max-tokens", "400");
            StringWriter out = new StringWriter(), err = new StringWriter();
            ChatSession session = new ChatSession(model, MessageWindowChatMemory.withMaxMessages(10), null, settings,
                    new PrintWriter(out, true), new PrintWriter(err, true), false);
            PipedOutputStream keyboard = new PipedOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(new PipedInputStream(keyboard), StandardCharsets.UTF_8));
            CompletableFuture<Void> chat = CompletableFuture.runAsync(() -> {
                try {
                    session.run(in);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            keyboard.write("Once upon a time\n".getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            waitUntil(Duration.ofSeconds(30), () -> !out.toString().isEmpty());

            assertThat(session.interrupt()).as("Ctrl-C during an answer stops it, it does not quit").isFalse();
            waitUntil(Duration.ofSeconds(10), () -> err.toString().contains("(stopped)"));
            waitUntil(Duration.ofSeconds(10), () -> engine.metrics().runningSequences() == 0);
            assertThat(engine.metrics().generatedTokens()).isLessThan(400);

            assertThat(session.interrupt()).as("the first Ctrl-C at the prompt warns").isFalse();
            assertThat(err.toString()).contains("Ctrl-C again");
            assertThat(session.interrupt()).as("the second quits").isTrue();

            keyboard.write("/exit\n".getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            chat.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
