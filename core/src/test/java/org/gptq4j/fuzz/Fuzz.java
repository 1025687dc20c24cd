package org.gptq4j.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Helpers shared by the fuzz targets: temporary files for parsers that read from disk, and the error contract. */
final class Fuzz {
    private Fuzz() {}

    /**
     * A fresh private folder for one fuzz target; reused by every execution of that target (parsers under test read
     * a file at a fixed path that each execution overwrites) and deleted, with everything the target wrote into it,
     * when the JVM exits ({@code deleteOnExit} would delete only an empty folder, and left one per run behind).
     */
    static Path folder(String name) {
        try {
            Path dir = Files.createTempDirectory("gptq4j-fuzz-" + name + "-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "gptq4j-fuzz-cleanup"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and what it holds, deepest first; what cannot be deleted stays (the JVM is exiting). */
    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // nothing left to report to: the JVM is shutting down
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
