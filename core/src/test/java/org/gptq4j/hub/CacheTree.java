package org.gptq4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads a cache folder back: its listing, and the check that it holds only complete, verified files. */
final class CacheTree {
    private CacheTree() {}

    /** Every file and link under {@code root}, relative, sorted; links as {@code path -> target}. */
    static List<String> listing(Path root) {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted().toList()) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                String rel = root.relativize(p).toString().replace('\\', '/');
                lines.add(Files.isSymbolicLink(p) ? rel + " -> " + Files.readSymbolicLink(p) : rel);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lines.sort(null);
        return lines;
    }

    /**
     * Asserts that every blob's content matches its name (SHA-256 or git SHA-1), that there is no partial download,
     * that every snapshot entry is a link to an existing blob of the same repository, and that refs hold commits.
     */
    static void assertOnlyVerifiedFiles(Path cacheDir) {
        for (String line : listing(cacheDir)) {
            String path = line.split(" -> ")[0];
            Path file = cacheDir.resolve(path);
            assertThat(path).as("no partial or temporary file may remain").doesNotContain(".incomplete")
                    .doesNotEndWith(".tmp");
            if (path.startsWith(".locks/")) {
                assertThat(path).endsWith(".lock");
            } else if (path.contains("/blobs/")) {
                assertThat(etagMatches(file)).as("blob %s holds the content its name promises", path).isTrue();
            } else if (path.contains("/snapshots/")) {
                assertThat(Files.isSymbolicLink(file)).as("%s is a link", path).isTrue();
                Path target = resolveLink(file);
                assertThat(target.getParent().getFileName().toString()).isEqualTo("blobs");
                assertThat(target.getParent().getParent()).isEqualTo(cacheDir.resolve(path.split("/")[0]));
                assertThat(Files.isRegularFile(target)).as("%s points at an existing blob", path).isTrue();
            } else if (path.contains("/refs/")) {
                assertThat(read(file)).matches("[0-9a-f]{40}");
            } else if (!path.contains("/.no_exist/")) {
                throw new AssertionError("unexpected file in the cache: " + path);
            }
        }
    }

    private static Path resolveLink(Path link) {
        try {
            return link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean etagMatches(Path blob) {
        try {
            String name = blob.getFileName().toString();
            byte[] content = Files.readAllBytes(blob);
            return name.equals(name.length() == 64 ? FakeHub.sha256(content) : FakeHub.gitBlobSha1(content));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
