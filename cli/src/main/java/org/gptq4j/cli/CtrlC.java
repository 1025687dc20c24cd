package org.gptq4j.cli;

import sun.misc.Signal;

import java.util.function.BooleanSupplier;

/** Routes Ctrl-C (SIGINT) to the program instead of ending the JVM. */
final class CtrlC {
    private CtrlC() {}

    /**
     * Calls {@code onInterrupt} on each Ctrl-C; when it returns true, the program exits with the usual status 130.
     */
    static void handle(BooleanSupplier onInterrupt) {
        Signal.handle(new Signal("INT"), signal -> {
            if (onInterrupt.getAsBoolean()) {
                System.err.println();
                System.exit(130);
            }
        });
    }
}
