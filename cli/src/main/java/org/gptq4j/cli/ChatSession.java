package org.gptq4j.cli;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The chat loop: each input line is a user turn, answered in a stream through the model's chat template with the
 * conversation so far ({@link ChatMemory}, which decides how much of it the prompt keeps); lines starting with
 * {@code /} are commands. Answers go to {@code out},
 * everything else (prompt, command replies, statistics) to {@code err}, so piped output holds only the answers.
 */
final class ChatSession {
    static final String HELP = """
            Commands:
              /temperature T   sampling temperature, 0 = greedy      /top-p P     nucleus mass in (0, 1]
              /top-k K         keep the K most likely tokens         /seed N|off  reproducible answers
              /max-new-tokens N  most tokens per answer              /settings    show the settings
              /clear           forget the conversation               /exit        quit (or Ctrl-D)
            Ctrl-C stops an answer; at the prompt, press it twice to quit.""";

    private final StreamingChatModel model;
    private final ChatMemory memory;
    private final String systemPrompt;
    private final ChatSettings settings;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean interactive;
    private volatile StreamedAnswer current;
    private final AtomicBoolean warnedAtPrompt = new AtomicBoolean();

    ChatSession(StreamingChatModel model, ChatMemory memory, String systemPrompt, ChatSettings settings,
                PrintWriter out, PrintWriter err, boolean interactive) {
        this.model = model;
        this.memory = memory;
        this.systemPrompt = systemPrompt;
        this.settings = settings;
        this.out = out;
        this.err = err;
        this.interactive = interactive;
        clear();
    }

    /** Reads turns until end of input or {@code /exit}. */
    void run(BufferedReader in) throws IOException {
        while (true) {
            if (interactive) {
                err.print("> ");
                err.flush();
            }
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) return;
            warnedAtPrompt.set(false);
            if (line.isBlank()) continue;
            if (line.startsWith("/")) {
                command(line.strip());
            } else {
                answer(line);
            }
        }
    }

    /**
     * Ctrl-C: stops the answer being written. At the prompt, the first press only warns.
     *
     * @return true when the user asked to quit (a second press at the prompt)
     */
    boolean interrupt() {
        StreamedAnswer answer = current;
        if (answer != null && answer.stop()) return false;
        if (warnedAtPrompt.compareAndSet(false, true)) {
            err.println();
            err.print("(Ctrl-C again or /exit to quit)\n> ");
            err.flush();
            return false;
        }
        return true;
    }

    private void command(String line) {
        String[] words = line.substring(1).split("\\s+", 2);
        String name = words[0];
        try {
            if (name.equals("help")) {
                err.println(HELP);
            } else if (name.equals("clear")) {
                clear();
                err.println("(conversation cleared)");
            } else if (name.equals("settings")) {
                err.println(settings);
            } else if (ChatSettings.NAMES.contains(name)) {
                if (words.length < 2) throw new IllegalArgumentException("/" + name + " needs a value; now: " + settings);
                err.println(settings.set(name, words[1].strip()));
            } else {
                err.println("unknown command /" + name + "; /help lists the commands");
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
        }
        err.flush();
    }

    private void clear() {
        memory.clear();
        if (systemPrompt != null) memory.add(SystemMessage.from(systemPrompt));
    }

    /**
     * Streams the answer to {@code text}, with the history the memory keeps beside it; the answer (or what was
     * written before a stop) joins the history. A question the memory cannot keep, or one that fails, leaves the
     * history as it was.
     */
    private void answer(String text) {
        UserMessage question = UserMessage.from(text);
        List<ChatMessage> before = memory.messages();
        memory.add(question);
        List<ChatMessage> messages = memory.messages();
        if (messages.isEmpty() || messages.getLast() != question) {
            restore(before);
            err.println("error: the message does not fit in the model's context beside an answer of up to "
                    + settings.maxTokens() + " tokens; shorten it, or lower /max-new-tokens");
            err.flush();
            return;
        }
        StreamedAnswer answer = new StreamedAnswer(out);
        current = answer;
        long start = System.nanoTime();
        try {
            model.chat(ChatRequest.builder().messages(messages).parameters(settings.parameters()).build(), answer);
            StreamedAnswer.Outcome outcome = answer.result().get();
            out.println();
            out.flush();
            if (!outcome.text().isEmpty()) memory.add(AiMessage.from(outcome.text()));
            err.println(outcome.stopped() ? "(stopped)" : statistics(outcome, System.nanoTime() - start));
        } catch (ExecutionException e) {
            restore(before);
            out.println();
            err.println("error: " + e.getCause().getMessage() + " (/clear starts a new conversation)");
        } catch (InterruptedException e) {
            answer.stop();
            Thread.currentThread().interrupt();
        } finally {
            current = null;
            err.flush();
        }
    }

    /** Puts the history back as it was (ChatMemory's {@code set} refuses an empty list). */
    private void restore(List<ChatMessage> history) {
        if (history.isEmpty()) memory.clear();
        else memory.set(history);
    }

    private String statistics(StreamedAnswer.Outcome outcome, long nanos) {
        if (!interactive || outcome.tokens() == null) return "";
        return String.format(java.util.Locale.ROOT, "(%d tokens, %.1f tokens/s)", outcome.tokens(), outcome.tokens() / (nanos / 1e9));
    }
}
