package org.gptq4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The identity of a file's content on the Hub, and so its blob name in the cache: the SHA-256 of an LFS file
 * ({@code X-Linked-Etag}) or the git blob SHA-1 of a file stored in git ({@code ETag}). Both can be recomputed
 * from the bytes, so every downloaded blob is verified before it enters the cache.
 *
 * @param value lower-case hex, without quotes or the weak prefix {@code W/}
 */
record Etag(String value) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern GIT_SHA1 = Pattern.compile("[0-9a-f]{40}");

    Etag {
        if (!SHA256.matcher(value).matches() && !GIT_SHA1.matcher(value).matches()) {
            throw new HubException(HubException.Kind.PROTOCOL, "unexpected ETag " + RepoPath.quoted(value)
                    + ": expected a SHA-256 (LFS file) or git SHA-1 in hex");
        }
    }

    /** Parses a header value as huggingface_hub normalises it: drops {@code W/} and the quotes. */
    static Etag parse(String header) {
        String v = header.strip();
        if (v.startsWith("W/")) v = v.substring(2);
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
        return new Etag(v.toLowerCase(java.util.Locale.ROOT));
    }

    /** Whether this is the SHA-256 of an LFS file (otherwise a git blob SHA-1). */
    boolean isLfs() {
        return value.length() == 64;
    }

    /** Whether {@code file} holds exactly the content this etag names. */
    boolean matches(Path file) throws IOException {
        return value.equals(digestOf(file));
    }

    private String digestOf(Path file) throws IOException {
        MessageDigest digest = newDigest(isLfs() ? "SHA-256" : "SHA-1");
        if (!isLfs()) {
            digest.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest newDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every JDK", e);
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
