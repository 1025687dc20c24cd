package org.gptq4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One repository's folder in the huggingface_hub cache, laid out exactly as huggingface_hub lays it out:
 * <pre>
 * {cache}/models--{org}--{name}/
 *     blobs/{etag}                      file contents, named by SHA-256 (LFS) or git SHA-1
 *     blobs/{etag}.incomplete           a download in progress (resumable)
 *     refs/{revision}                   the commit a branch or tag pointed to when last resolved
 *     snapshots/{commit}/{file}         relative symlink to ../../blobs/{etag} (a copy where links fail)
 *     .no_exist/{commit}/{file}         empty marker: the file does not exist at that commit
 * {cache}/.locks/models--{org}--{name}/{etag}.lock
 * </pre>
 * Every path handed in from outside is checked to stay inside the repository's folder, and symlinks read from the
 * cache must point inside it too.
 */
final class RepoCache {
    private static final Pattern COMMIT_HASH = Pattern.compile("[0-9a-f]{40}");

    private final String repoId;
    private final Path root;
    private final Path locks;

    RepoCache(Path cacheDir, ModelRef ref) {
        this.repoId = ref.repoId();
        this.root = cacheDir.resolve(ref.cacheFolderName());
        this.locks = cacheDir.resolve(".locks").resolve(ref.cacheFolderName());
    }

    /** {@code value} if it is a full commit hash; a server that sends anything else is not trusted. */
    static String requireCommit(String value, String origin) {
        if (value == null || !COMMIT_HASH.matcher(value).matches()) {
            throw new HubException(HubException.Kind.PROTOCOL,
                    origin + " gave " + RepoPath.quoted(value) + " where a 40-hex commit hash belongs");
        }
        return value;
    }

    Path root() {
        return root;
    }

    Path blob(Etag etag) {
        return root.resolve("blobs").resolve(etag.value());
    }

    Path incomplete(Etag etag) {
        return root.resolve("blobs").resolve(etag.value() + ".incomplete");
    }

    Path lockFile(Etag etag) {
        return locks.resolve(etag.value() + ".lock");
    }

    Path snapshot(String commit) {
        return root.resolve("snapshots").resolve(requireCommit(commit, "the cache"));
    }

    Path pointer(String commit, String file) {
        return RepoPath.resolveInside(snapshot(commit), file, repoId);
    }

    /** The commit {@code refs/{revision}} records, if any. */
    Optional<String> readRef(String revision) {
        Path ref = RepoPath.resolveInside(root.resolve("refs"), revision, repoId);
        if (!Files.isRegularFile(ref)) return Optional.empty();
        try {
            return Optional.of(requireCommit(Files.readString(ref, StandardCharsets.UTF_8).strip(), "cache " + ref));
        } catch (IOException e) {
            throw ioFailure("cannot read " + ref, e);
        }
    }

    /** Records that {@code revision} points to {@code commit} (nothing to record when the revision is the commit). */
    void writeRef(String revision, String commit) {
        if (revision.equals(commit)) return;
        Path ref = RepoPath.resolveInside(root.resolve("refs"), revision, repoId);
        try {
            Files.createDirectories(ref.getParent());
            Path tmp = temporarySibling(ref);
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            moveReplacing(tmp, ref);
        } catch (IOException e) {
            throw ioFailure("cannot write " + ref, e);
        }
    }

    /** Records that {@code file} does not exist at {@code commit}. */
    void markMissing(String commit, String file) {
        Path marker = RepoPath.resolveInside(root.resolve(".no_exist").resolve(requireCommit(commit, "the Hub")), file,
                repoId);
        try {
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker)) Files.createFile(marker);
        } catch (FileAlreadyExistsException ignored) {
            // another process marked it first
        } catch (IOException e) {
            throw ioFailure("cannot write " + marker, e);
        }
    }

    /**
     * The snapshot entry for {@code file} at {@code commit} when it is present and readable. An entry that is a
     * link leading outside this repository's folder is refused: a cache is never trusted to point elsewhere.
     */
    Optional<Path> cachedFile(String commit, String file) {
        Path pointer = pointer(commit, file);
        if (!Files.exists(pointer, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        if (!Files.exists(pointer)) return Optional.empty(); // dangling link: the blob is gone
        try {
            Path real = pointer.toRealPath();
            if (!real.startsWith(root.toRealPath())) {
                throw new HubException(HubException.Kind.INVALID_INPUT, "refused cached file " + pointer
                        + ": it links to " + real + ", outside " + root);
            }
            return Files.isRegularFile(real) ? Optional.of(pointer) : Optional.empty();
        } catch (IOException e) {
            throw ioFailure("cannot read " + pointer, e);
        }
    }

    /** The files of a cached snapshot, as repository paths with '/' separators; empty when there is none. */
    List<String> snapshotFiles(String commit) {
        Path snapshot = snapshot(commit);
        if (!Files.isDirectory(snapshot)) return List.of();
        List<String> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(snapshot)) {
            walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .forEach(p -> files.add(snapshot.relativize(p).toString().replace('\\', '/')));
        } catch (IOException e) {
            throw ioFailure("cannot list " + snapshot, e);
        }
        files.sort(null);
        return files;
    }

    /**
     * Makes {@code snapshots/{commit}/{file}} a relative symlink to the verified blob, as huggingface_hub does
     * ({@code ../../blobs/{etag}}, one more {@code ..} per folder level), or a copy where links are impossible.
     */
    Path link(Etag etag, String commit, String file) {
        Path blob = blob(etag);
        Path pointer = pointer(commit, file);
        try {
            Files.createDirectories(pointer.getParent());
            Path realParent = pointer.getParent().toRealPath();
            if (!realParent.startsWith(root.toRealPath())) {
                throw new HubException(HubException.Kind.INVALID_INPUT,
                        "refused to write " + pointer + ": its folder resolves to " + realParent + ", outside " + root);
            }
            Path tmp = temporarySibling(pointer);
            try {
                Files.createSymbolicLink(tmp, pointer.getParent().relativize(blob));
            } catch (UnsupportedOperationException | IOException noLinks) {
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            moveReplacing(tmp, pointer);
            return pointer;
        } catch (IOException e) {
            throw ioFailure("cannot link " + pointer + " to " + blob, e);
        }
    }

    private static Path temporarySibling(Path target) {
        return target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    }

    static void moveReplacing(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static HubException ioFailure(String message, IOException cause) {
        return new HubException(HubException.Kind.IO, message + ": " + cause, cause);
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
