package org.gptq4j.hub;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The Hub's URLs, built as huggingface_hub builds them: the revision is percent-encoded as one path segment (a
 * branch may contain '/'), a file name is percent-encoded keeping its '/' separators.
 */
record HubUrls(URI endpoint) {

    /** {@code {endpoint}/api/models/{repo}/revision/{revision}}: the commit and file listing. */
    URI revisionInfo(ModelRef ref) {
        return URI.create(endpoint + "/api/models/" + ref.repoId() + "/revision/" + encode(ref.revision(), false));
    }

    /** {@code {endpoint}/api/models/{repo}/refs}: the branches and tags, with their commits. */
    URI refs(String repoId) {
        return URI.create(endpoint + "/api/models/" + repoId + "/refs");
    }

    /** {@code {endpoint}/{repo}/resolve/{revision}/{file}}: a file's metadata and contents. */
    URI resolve(ModelRef ref, String file) {
        return URI.create(endpoint + "/" + ref.repoId() + "/resolve/" + encode(ref.revision(), false) + "/"
                + encode(file, true));
    }

    /** Percent-encodes all but RFC 3986 unreserved characters (and '/', when {@code keepSlash}), as UTF-8. */
    static String encode(String text, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0 || keepSlash && c == '/')) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
