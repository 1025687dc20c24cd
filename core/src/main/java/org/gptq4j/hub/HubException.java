package org.gptq4j.hub;

import java.util.Objects;
import java.util.Optional;

/**
 * A Hub download that could not be completed. {@link #kind()} tells callers what went wrong without parsing the
 * message, and for {@link Kind#NOT_FOUND} {@link #missing()} tells which of repository, revision or file is missing;
 * the message says it to a person: which repository, revision and file, and what to do about it.
 * Messages never contain the access token.
 */
public class HubException extends RuntimeException {

    /** What went wrong. */
    public enum Kind {
        /** The repository, revision or file does not exist (HTTP 404), or the repository holds no usable model. */
        NOT_FOUND,
        /** The Hub refused access (HTTP 401/403): a private or gated repository, or a missing/invalid token. */
        UNAUTHORIZED,
        /** Offline mode (or no network) and the cache does not hold what is needed. */
        OFFLINE_MISSING,
        /** Downloaded content does not match its announced size or hash, or a response is larger than allowed. */
        INTEGRITY,
        /** The network failed, or the server kept failing, after every retry. */
        NETWORK,
        /** A repository id, revision or file name (ours or the server's) is malformed or would escape the cache. */
        INVALID_INPUT,
        /** The server answered something this client does not understand. */
        PROTOCOL,
        /** The local cache could not be read or written. */
        IO
    }

    /**
     * What a {@link Kind#NOT_FOUND} is missing. The Hub answers 404 for all three and tells them apart with its
     * {@code X-Error-Code} header ({@code RepoNotFound}, {@code RevisionNotFound}, {@code EntryNotFound}), as
     * huggingface_hub's {@code hf_raise_for_status} reads it.
     */
    public enum Missing {
        /** No such repository, or a private one the token may not see ({@code RepoNotFound}). */
        REPOSITORY,
        /** The repository exists; the branch, tag or commit does not ({@code RevisionNotFound}). */
        REVISION,
        /** The revision exists; a file does not ({@code EntryNotFound}), or lacks what the model needs. */
        FILE
    }

    private final Kind kind;
    private final Missing missing;

    public HubException(Kind kind, String message) {
        this(kind, null, message, null);
    }

    public HubException(Kind kind, String message, Throwable cause) {
        this(kind, null, message, cause);
    }

    /** A {@link Kind#NOT_FOUND} that knows what is missing. */
    public HubException(Missing missing, String message) {
        this(Kind.NOT_FOUND, Objects.requireNonNull(missing), message, null);
    }

    private HubException(Kind kind, Missing missing, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind);
        this.missing = missing;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * For {@link Kind#NOT_FOUND}: whether the repository, the revision or a file is missing; empty for other kinds
     * and when the server did not say (a mirror without {@code X-Error-Code}).
     */
    public Optional<Missing> missing() {
        return Optional.ofNullable(missing);
    }

    @Override
    public String toString() {
        return "HubException[" + kind + (missing == null ? "" : " " + missing) + "]: " + getMessage();
    }
}
