package org.gptq4j.hub;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Relative paths inside a repository or the cache: file names from the Hub's listing or a shard index, and
 * revisions (which become {@code refs/{revision}}). Anything that could name a place outside its folder is refused:
 * absolute paths, {@code ..} or {@code .} segments, empty segments, backslashes, control characters.
 */
final class RepoPath {
    private static final int MAX_LENGTH = 1024;

    private RepoPath() {}

    /** Why {@code path} is not a safe relative path, or empty when it is. */
    static Optional<String> problem(String path) {
        if (path == null || path.isEmpty()) return Optional.of("it is empty");
        if (path.length() > MAX_LENGTH) return Optional.of("it is longer than " + MAX_LENGTH + " characters");
        if (path.startsWith("/")) return Optional.of("it is absolute");
        if (path.indexOf('\\') >= 0) return Optional.of("it contains a backslash");
        if (path.length() >= 2 && path.charAt(1) == ':') return Optional.of("it names a drive");
        for (int i = 0; i < path.length(); i++) {
            if (Character.isISOControl(path.charAt(i))) return Optional.of("it contains a control character");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) return Optional.of("it has an empty segment");
            if (segment.equals(".") || segment.equals("..")) return Optional.of("it has a '" + segment + "' segment");
        }
        return Optional.empty();
    }

    /** {@code path} when safe; otherwise a {@link HubException} of kind INVALID_INPUT naming {@code origin}. */
    static String requireSafe(String path, String origin) {
        problem(path).ifPresent(why -> {
            throw new HubException(HubException.Kind.INVALID_INPUT,
                    "refused file name " + quoted(path) + " from " + origin + ": " + why);
        });
        return path;
    }

    /**
     * {@code base/relative}, checked to stay inside {@code base} after normalisation (a last guard that also
     * catches platform-specific path syntax).
     */
    static Path resolveInside(Path base, String relative, String origin) {
        requireSafe(relative, origin);
        Path normalBase = base.toAbsolutePath().normalize();
        Path resolved = normalBase.resolve(relative).normalize();
        if (!resolved.startsWith(normalBase) || resolved.equals(normalBase)) {
            throw new HubException(HubException.Kind.INVALID_INPUT,
                    "refused file name " + quoted(relative) + " from " + origin + ": it leaves " + normalBase);
        }
        return resolved;
    }

    /** A name as it may be shown in a message: quoted, control characters escaped. */
    static String quoted(String s) {
        if (s == null) return "null";
        StringBuilder out = new StringBuilder("'");
        s.codePoints().limit(200).forEach(c -> {
            if (Character.isISOControl(c)) out.append(String.format("\\u%04x", c));
            else out.appendCodePoint(c);
        });
        return out.append(s.length() > 200 ? "...'" : "'").toString();
    }
}
