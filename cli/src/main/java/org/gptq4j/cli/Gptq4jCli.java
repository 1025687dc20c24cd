package org.gptq4j.cli;

import picocli.CommandLine;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;

/**
 * The {@code gptq4j} command-line program (run it through the {@code ./gptq4j} launcher, which selects JDK 25 and
 * the JVM flags). Each subcommand is one class.
 */
@Command(name = "gptq4j", mixinStandardHelpOptions = true, version = "gptq4j 0.1.0-SNAPSHOT",
        description = "In-process GPTQ Llama inference on the JVM.",
        subcommands = {
                DownloadCommand.class,
                ChatCommand.class,
                GenerateCommand.class,
                LogitsCommand.class, SynthCommand.class, BenchCommand.class,
                TokenizeCommand.class,
        })
public final class Gptq4jCli implements Runnable {
    private final InputStream in;

    private Gptq4jCli(InputStream in) {
        this.in = in;
    }

    /** Standard input of this run (the {@code chat} command reads its turns from it). */
    InputStream in() {
        return in;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        System.exit(run(out, err, args));
    }

    /** Runs the program on the given streams and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(PrintStream out, PrintStream err, String... args) {
        return run(System.in, out, err, args);
    }

    /** Runs the program with {@code in} as its standard input. */
    public static int run(InputStream in, PrintStream out, PrintStream err, String... args) {
        CommandLine cli = new CommandLine(new Gptq4jCli(in));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + e.getMessage());
            if (System.getenv("GPTQ4J_DEBUG") != null) e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli.execute(args);
    }

    /** Progress bars go to standard error, as UTF-8, next to the command's other diagnostics. */
    static PrintStream progressStream(CommandLine.Model.CommandSpec spec) {
        return new PrintStream(new WriterOutputStream(spec.commandLine().getErr()), true, StandardCharsets.UTF_8);
    }

    /** Bridges a PrintStream-based progress bar onto picocli's error writer. */
    private static final class WriterOutputStream extends java.io.OutputStream {
        private final PrintWriter writer;
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        WriterOutputStream(PrintWriter writer) {
            this.writer = writer;
        }

        @Override
        public void write(int b) {
            pending.write(b);
        }

        @Override
        public void flush() {
            writer.print(pending.toString(StandardCharsets.UTF_8));
            writer.flush();
            pending.reset();
        }
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
