package org.gptq4j.hub;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A model on the Hub: a repository id ({@code org/name}) and a revision (branch, tag or commit hash).
 * {@link #parse(String)} reads the {@code repo[:branch]} form that text-generation-webui accepts, e.g.
 * {@code TheBloke/firefly-llama2-7B-chat-GPTQ:gptq-4bit-32g-actorder_True}.
 *
 * @param repoId   {@code org/name}, validated as the Hub validates it
 * @param revision a branch, tag or 40-hex commit hash; {@code main} by default
 */
public record ModelRef(String repoId, String revision) {

    public static final String DEFAULT_REVISION = "main";

    /** One part of a repo id: word characters, '-' and '.', starting and ending with a letter, digit or '_'. */
    private static final Pattern REPO_PART = Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?");
    private static final Pattern COMMIT_HASH = Pattern.compile("[0-9a-f]{40}");

    public ModelRef {
        validateRepoId(repoId);
        validateRevision(revision);
    }

    /** {@code repo[:revision]}; the revision defaults to {@code main}. */
    public static ModelRef parse(String spec) {
        Objects.requireNonNull(spec, "model");
        String trimmed = spec.strip();
        int colon = trimmed.indexOf(':');
        return colon < 0 ? new ModelRef(trimmed, DEFAULT_REVISION)
                : new ModelRef(trimmed.substring(0, colon), trimmed.substring(colon + 1));
    }

    /**
     * What a command line gives: {@code --model repo[:branch]} and an optional {@code --revision}. Naming two
     * different revisions is an error.
     */
    public static ModelRef parse(String spec, String revision) {
        ModelRef ref = parse(spec);
        if (revision == null || revision.isBlank()) return ref;
        boolean specHasRevision = spec.indexOf(':') >= 0;
        if (specHasRevision && !ref.revision.equals(revision.strip())) {
            throw new IllegalArgumentException("model " + spec + " names revision '" + ref.revision
                    + "' but --revision says '" + revision.strip() + "': give one of them");
        }
        return ref.withRevision(revision.strip());
    }

    /** {@code repoId} at {@code main}. */
    public static ModelRef of(String repoId) {
        return new ModelRef(repoId, DEFAULT_REVISION);
    }

    public ModelRef withRevision(String newRevision) {
        return new ModelRef(repoId, newRevision);
    }

    /** Whether the revision is a full commit hash (a snapshot that can never change). */
    public boolean isCommitHash() {
        return COMMIT_HASH.matcher(revision).matches();
    }

    /** The cache folder name huggingface_hub uses: {@code models--org--name}. */
    public String cacheFolderName() {
        return CACHE_FOLDER_PREFIX + repoId.replace("/", "--");
    }

    private static final String CACHE_FOLDER_PREFIX = "models--";

    /**
     * The repository id of a snapshot folder in huggingface_hub's cache layout
     * ({@code .../models--org--name/snapshots/{commit}}), if {@code folder} is one.
     */
    public static java.util.Optional<String> repoIdOfSnapshot(java.nio.file.Path folder) {
        java.nio.file.Path snapshots = folder.toAbsolutePath().normalize().getParent();
        if (snapshots == null || snapshots.getFileName() == null || !snapshots.getFileName().toString().equals("snapshots")) {
            return java.util.Optional.empty();
        }
        java.nio.file.Path repo = snapshots.getParent();
        String name = repo == null || repo.getFileName() == null ? "" : repo.getFileName().toString();
        if (!name.startsWith(CACHE_FOLDER_PREFIX) || name.indexOf("--", CACHE_FOLDER_PREFIX.length()) < 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(name.substring(CACHE_FOLDER_PREFIX.length()).replaceFirst("--", "/"));
    }

    @Override
    public String toString() {
        return repoId + ":" + revision;
    }

    private static void validateRepoId(String repoId) {
        if (repoId == null || repoId.isBlank()) throw new IllegalArgumentException("repository id is empty");
        String shown = RepoPath.quoted(repoId);
        String[] parts = repoId.split("/", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("repository id " + shown + " must have the form org/name");
        }
        for (String part : parts) {
            if (!REPO_PART.matcher(part).matches()) {
                throw new IllegalArgumentException("repository id " + shown + " is invalid: each of org and name"
                        + " must be 1-96 letters, digits, '_', '-' or '.', starting and ending with a letter,"
                        + " digit or '_'");
            }
        }
        if (repoId.contains("--") || repoId.contains("..")) {
            throw new IllegalArgumentException("repository id " + shown + " must not contain '--' or '..'");
        }
        if (repoId.endsWith(".git")) {
            throw new IllegalArgumentException("repository id " + shown + " must not end with '.git'");
        }
    }

    private static void validateRevision(String revision) {
        if (revision == null || revision.isBlank()) throw new IllegalArgumentException("revision is empty");
        String shown = RepoPath.quoted(revision);
        RepoPath.problem(revision).ifPresent(why -> {
            throw new IllegalArgumentException("revision " + shown + " is invalid: " + why);
        });
        if (revision.chars().anyMatch(c -> Character.isWhitespace(c) || ":~^?*[".indexOf(c) >= 0)
                || revision.endsWith(".lock") || revision.contains("@{")) {
            throw new IllegalArgumentException("revision " + shown + " is not a valid git branch, tag or commit");
        }
    }
}
