package org.gptq4j.samples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code gptq4j} command-line program (run it through the {@code ./gptq4j} launcher, which selects JDK 25 and
 * the JVM flags). Each subcommand is one class.
 */
@Command(name = "gptq4j", mixinStandardHelpOptions = true, version = "gptq4j 0.1.0-SNAPSHOT",
        description = "In-process GPTQ Llama inference on the JVM.",
        subcommands = {
                LogitsCommand.class, SynthCommand.class, BenchCommand.class,
        })
public final class Gptq4jCli implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the program and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Gptq4jCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + e.getMessage());
            if (System.getenv("GPTQ4J_DEBUG") != null) e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
