package org.gptq4j.hub;

import java.util.Objects;

/**
 * A Hub download that could not be completed. {@link #kind()} tells callers what went wrong without parsing the
 * message; the message says it to a person: which repository, revision and file, and what to do about it.
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

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind);
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind);
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String toString() {
        return "HubException[" + kind + "]: " + getMessage();
    }
}
