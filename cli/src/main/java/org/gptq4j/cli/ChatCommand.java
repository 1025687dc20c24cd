package org.gptq4j.cli;

import org.gptq4j.engine.Engine;
import org.gptq4j.tools.ConsoleProgressBar;
import org.gptq4j.langchain4j.GptqStreamingChatModel;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.gptq4j.samples.EmbeddedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code chat}: an interactive, streaming chat with history (or one answer per line of piped input). The history keeps
 * what fits in the model's context beside the next answer ({@link ContextWindowMemory}).
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model: streamed answers, the conversation kept through the model's chat template. "
                + "Without --model, uses the embedded stories260K model (a story model: it continues your text). "
                + "The conversation keeps the latest turns that fit in the model's context beside --max-new-tokens. "
                + "Piped input: each line is a user turn, and only the answers are printed to standard output.")
final class ChatCommand implements Callable<Integer> {
    @ParentCommand
    Gptq4jCli cli;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelLocation location;

    @Mixin
    ChatSettings settings;

    @Option(names = "--template", description = "Chat template: llama2, firefly, chatml or raw. "
            + "Default: the model's own (tokenizer_config.json), raw for the embedded model.")
    String template;

    @Option(names = "--system", description = "A system prompt.")
    String system;

    @Option(names = "--threads", description = "Compute threads (default: one per physical core; at most 4 per available processor, and 16 on any machine).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        PrintStream progress = Gptq4jCli.progressStream(spec);
        Path folder = location.resolve(progress);
        WeightPreloader.preload(folder, new ConsoleProgressBar(progress));

        Engine.Builder engineBuilder = Engine.builder().modelPath(folder);
        if (threads != null) engineBuilder.threads(threads);
        try (Engine engine = engineBuilder.build();
             GptqStreamingChatModel model = GptqStreamingChatModel.builder()
                     .engine(engine)
                     .chatTemplate(template != null ? ChatTemplates.named(template) : null) // else the folder's, else raw
                     .build()) {
            boolean interactive = cli.in() == System.in && System.console() != null && System.console().isTerminal();
            ChatSession session = new ChatSession(model,
                    ContextWindowMemory.create(model.tokenCountEstimator(), engine.limits(), settings::maxTokens),
                    system, settings, out, err, interactive);
            err.println(banner(folder, model.chatTemplate().name()));
            if (interactive) CtrlC.handle(session::interrupt);
            session.run(new BufferedReader(new InputStreamReader(cli.in(), StandardCharsets.UTF_8)));
        }
        return 0;
    }

    private String banner(Path folder, String templateName) {
        String model = location.isSet() ? folder.toString() : EmbeddedModel.NAME + " (embedded)";
        String text = "gptq4j chat: " + model + ", template " + templateName + ". /help lists the commands.";
        if (!location.isSet()) {
            text += "\nstories260K is a tiny story model, not a chat model: it continues your words as a children's story."
                    + "\nFor a real chat: ./gptq4j chat --model TheBloke/firefly-llama2-7B-chat-GPTQ --template firefly";
        }
        return text;
    }
}
