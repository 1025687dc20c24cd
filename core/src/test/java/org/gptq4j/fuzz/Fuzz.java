package org.gptq4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Helpers shared by the fuzz targets: temporary files for parsers that read from disk, and the error contract. */
final class Fuzz {
    private Fuzz() {}

    /**
     * A fresh private folder for one fuzz target; reused by every execution of that target (parsers under test read
     * a file at a fixed path that each execution overwrites) and deleted when the JVM exits.
     */
    static Path folder(String name) {
        try {
            Path dir = Files.createTempDirectory("gptq4j-fuzz-" + name + "-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bytes} to {@code file}, replacing what was there. */
    static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code action} and swallows only the documented error types: any other throwable (an index error, a null
     * pointer, an out-of-memory error, a stack overflow) escapes, and Jazzer reports the input as a finding. A
     * documented error must also carry a message, since "clear error" is the contract.
     */
    @SafeVarargs
    static void expectOnly(Runnable action, Class<? extends RuntimeException>... allowed) {
        List<Class<? extends RuntimeException>> kinds = Arrays.asList(allowed);
        try {
            action.run();
        } catch (RuntimeException e) {
            if (kinds.stream().noneMatch(k -> k.isInstance(e))) throw e;
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("a " + e.getClass().getSimpleName() + " without a message", e);
            }
        }
    }
}
