package org.gptq4j.hub;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The Hub's HTTP protocol, one request at a time (retrying is the caller's business): the JSON API, {@code HEAD}
 * of {@code resolve/} URLs, and ranged {@code GET}s of file contents.
 *
 * <p>Redirects are followed by hand so that the token goes only where it belongs: the {@code Authorization}
 * header is sent to the configured endpoint's origin (scheme, host and port) and is dropped for good as soon as a
 * redirect leaves that origin; a redirect from https to http is refused. HTTP statuses become {@link HubException}s
 * that say what to do, or {@link TransientStatusException}s (429, 5xx) for the {@link Retrier}.
 *
 * <p>Every request waits at most its timeout ({@link HubConfig#metadataTimeout()} for the API and {@code HEAD}s,
 * {@link HubConfig#downloadTimeout()} for file contents) for the response headers, and every response body is an
 * {@link IdleTimeoutInputStream}: cut after as long again without a byte, and held to a {@link TransferPace}.
 */
final class HubHttp implements AutoCloseable {
    static final String HEADER_REPO_COMMIT = "X-Repo-Commit";
    static final String HEADER_LINKED_ETAG = "X-Linked-Etag";
    static final String HEADER_LINKED_SIZE = "X-Linked-Size";
    static final String HEADER_ERROR_CODE = "X-Error-Code";
    private static final int MAX_REDIRECTS = 10;
    private static final String USER_AGENT = "gptq4j-hub/0.1; java/" + Runtime.version().feature();

    private final HubConfig config;
    private final HttpClient client;
    private final ObjectMapper json = new ObjectMapper();

    HubHttp(HubConfig config) {
        this.config = config;
        this.client = HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /** Which redirects a request follows. */
    private enum Redirects {
        /** Every redirect (downloads: the CDN, a mirror's storage). */
        ALL,
        /**
         * Only a {@code Location} without scheme and host, as huggingface_hub's {@code follow_relative_redirects}
         * (a renamed repository); an absolute one, even to the same host, is the file's location, not followed.
         */
        RELATIVE
    }

    /** GET a JSON answer of the Hub API, refusing one larger than {@link HubConfig#maxApiResponseBytes()}. */
    JsonNode getJson(URI uri, Target target) throws IOException {
        TransferPace pace = TransferPace.of(config, "the Hub's answer about " + target.describe());
        HttpResponse<InputStream> response = send("GET", uri, Map.of("Accept", "application/json"), Redirects.ALL,
                config.metadataTimeout(), pace);
        try (InputStream body = response.body()) {
            check(response, target);
            long limit = config.maxApiResponseBytes();
            OptionalLong announced = response.headers().firstValueAsLong("Content-Length");
            byte[] bytes = announced.isPresent() && announced.getAsLong() > limit ? null
                    : body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes == null || bytes.length > limit) {
                throw new HubException(HubException.Kind.INTEGRITY, "refused the Hub's answer about "
                        + target.describe() + ": larger than " + limit + " bytes");
            }
            try {
                return json.readTree(bytes);
            } catch (JacksonException e) {
                throw new HubException(HubException.Kind.PROTOCOL,
                        "the Hub's answer about " + target.describe() + " is not valid JSON", e);
            }
        }
    }

    /**
     * HEAD of a {@code resolve/} URL, as huggingface_hub's {@code get_hf_file_metadata} does it: relative redirects
     * (a renamed repository) are followed; an absolute one (the CDN of an LFS file, or a mirror's storage on its own
     * host) is not: its target is the file's location, and the metadata ({@code X-Repo-Commit},
     * {@code X-Linked-Etag}, {@code X-Linked-Size}) come from the redirect itself.
     */
    FileMetadata head(URI uri, Target target) throws IOException {
        HttpResponse<InputStream> response = send("HEAD", uri, Map.of(), Redirects.RELATIVE, config.metadataTimeout(),
                TransferPace.of(config, "metadata of " + target.describe()));
        response.body().close();
        URI location = response.uri();
        if (isRedirect(response.statusCode())) {
            location = resolveLocation(response);
        } else {
            check(response, target);
        }
        HttpHeaders headers = response.headers();
        String commit = RepoCache.requireCommit(headers.firstValue(HEADER_REPO_COMMIT).orElse(null),
                "the Hub's " + HEADER_REPO_COMMIT + " header for " + target.describe());
        String etag = headers.firstValue(HEADER_LINKED_ETAG).or(() -> headers.firstValue("ETag"))
                .orElseThrow(() -> new HubException(HubException.Kind.PROTOCOL,
                        "the Hub sent no ETag for " + target.describe()));
        long size = firstLong(headers, HEADER_LINKED_SIZE).or(() -> firstLong(headers, "Content-Length")).orElse(-1L);
        return new FileMetadata(commit, Etag.parse(etag), size, location);
    }

    /**
     * GET of file contents from {@code offset} on (a {@code Range} request when {@code offset > 0}), following every
     * redirect. Returns 200, 206 or 416 responses; the caller reads and closes the body.
     *
     * @param pace the transfer's pace, shared by all its attempts
     */
    HttpResponse<InputStream> openDownload(URI uri, long offset, Target target, TransferPace pace) throws IOException {
        Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
        HttpResponse<InputStream> response = send("GET", uri, headers, Redirects.ALL, config.downloadTimeout(), pace);
        if (response.statusCode() != 416) {
            try {
                check(response, target);
            } catch (IOException | RuntimeException e) {
                response.body().close();
                throw e;
            }
        }
        return response;
    }

    /**
     * @param timeout the wait for the response headers, and for each byte of the body
     */
    private HttpResponse<InputStream> send(String method, URI start, Map<String, String> headers, Redirects redirects,
                                           Duration timeout, TransferPace pace) throws IOException {
        URI uri = start;
        boolean authorize = config.token() != null && sameOrigin(uri, config.endpoint());
        for (int hops = 0; ; hops++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .timeout(timeout)
                    .header("User-Agent", USER_AGENT)
                    .header("Accept-Encoding", "identity");
            headers.forEach(request::header);
            if (authorize) request.header("Authorization", "Bearer " + config.token());
            HttpResponse<InputStream> response = exchange(request.build(), timeout, pace);
            Optional<String> location = response.headers().firstValue("Location");
            if (!isRedirect(response.statusCode()) || location.isEmpty()
                    || redirects == Redirects.RELATIVE && !isRelative(location.get())) {
                return response;
            }
            URI next = resolveLocation(response);
            response.body().close();
            if (hops == MAX_REDIRECTS) {
                throw new HubException(HubException.Kind.PROTOCOL, "more than " + MAX_REDIRECTS
                        + " redirects from " + start);
            }
            if (!sameOrigin(next, uri)) authorize = false;
            uri = next;
        }
    }

    private HttpResponse<InputStream> exchange(HttpRequest request, Duration idleLimit, TransferPace pace)
            throws IOException {
        HttpResponse.BodyHandler<InputStream> guarded = info -> HttpResponse.BodySubscribers.mapping(
                HttpResponse.BodySubscribers.ofInputStream(), body -> new IdleTimeoutInputStream(body, idleLimit, pace));
        try {
            return client.send(request, guarded);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.NETWORK, "interrupted while requesting " + request.uri(), e);
        }
    }

    /** Whether a {@code Location} names no scheme and no host (huggingface_hub: an empty {@code netloc}). */
    private static boolean isRelative(String location) {
        try {
            URI uri = new URI(location.strip());
            return uri.getScheme() == null && uri.getRawAuthority() == null;
        } catch (java.net.URISyntaxException e) {
            return false; // resolveLocation reports it
        }
    }

    /** The redirect's {@code Location}, absolute or relative, resolved against the request. */
    private static URI resolveLocation(HttpResponse<?> response) {
        String location = response.headers().firstValue("Location").orElseThrow(() -> new HubException(
                HubException.Kind.PROTOCOL, "redirect without Location from " + response.uri()));
        URI next;
        try {
            next = response.uri().resolve(new URI(location.strip()));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new HubException(HubException.Kind.PROTOCOL,
                    "malformed redirect Location " + RepoPath.quoted(location) + " from " + response.uri(), e);
        }
        String scheme = Objects.requireNonNullElse(next.getScheme(), "").toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || next.getHost() == null) {
            throw new HubException(HubException.Kind.PROTOCOL, "refused redirect to " + next + " from " + response.uri());
        }
        if (scheme.equals("http") && "https".equalsIgnoreCase(response.uri().getScheme())) {
            throw new HubException(HubException.Kind.PROTOCOL, "refused redirect from https to plain http: " + next);
        }
        return next;
    }

    /** Throws unless the status is 2xx. */
    private void check(HttpResponse<?> response, Target target) throws TransientStatusException {
        int status = response.statusCode();
        if (status >= 200 && status < 300) return;
        if (status == 429 || status >= 500) {
            throw new TransientStatusException(status, retryAfter(response.headers()), target.describe());
        }
        String errorCode = response.headers().firstValue(HEADER_ERROR_CODE).orElse("");
        if (status == 401 || status == 403) throw unauthorized(status, errorCode, target);
        if (status == 404) throw notFound(errorCode, target);
        throw new HubException(HubException.Kind.PROTOCOL, "unexpected HTTP " + status + " for " + target.describe()
                + " (" + response.uri() + ")");
    }

    private HubException unauthorized(int status, String errorCode, Target target) {
        String gated = errorCode.equals("GatedRepo") ? " The repository is gated." : "";
        String token = config.hasToken()
                ? " A token was sent and refused: check that it is valid and may read this repository."
                : " No token was sent.";
        return new HubException(HubException.Kind.UNAUTHORIZED, "access to " + target.describe()
                + " denied (HTTP " + status + ")." + gated + " The repository may be private or gated, or may not"
                + " exist. For a gated repository, accept its conditions on its Hub page with your account; then"
                + " give an access token with read permission in the environment variable HF_TOKEN (or log in with"
                + " `huggingface-cli login`, which writes the token file)." + token);
    }

    /** A 404, typed by the Hub's {@code X-Error-Code} when it sends one. */
    private static HubException notFound(String errorCode, Target target) {
        ModelRef ref = target.ref();
        String looked = " (HTTP 404; looked for " + target.describe() + ")";
        return switch (errorCode) {
            case "RepoNotFound" -> new HubException(HubException.Missing.REPOSITORY,
                    "repository " + ref.repoId() + " not found" + looked);
            case "RevisionNotFound" -> new HubException(HubException.Missing.REVISION,
                    "revision " + RepoPath.quoted(ref.revision()) + " not found in " + ref.repoId() + looked);
            case "EntryNotFound" -> new HubException(HubException.Missing.FILE, "file " + RepoPath.quoted(target.file())
                    + " not found in " + ref.repoId() + " at revision " + ref.revision() + looked);
            default -> new HubException(HubException.Kind.NOT_FOUND, "not found: " + target.describe() + looked);
        };
    }

    /** {@code Retry-After} in seconds or as an HTTP date; {@code null} when absent or unreadable. */
    static Duration retryAfter(HttpHeaders headers) {
        Optional<String> value = headers.firstValue("Retry-After").map(String::strip);
        if (value.isEmpty()) return null;
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.get())));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration until = Duration.between(ZonedDateTime.now(),
                        ZonedDateTime.parse(value.get(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return until.isNegative() ? Duration.ZERO : until;
            } catch (DateTimeParseException unreadable) {
                return null;
            }
        }
    }

    private static Optional<Long> firstLong(HttpHeaders headers, String name) {
        Optional<String> value = headers.firstValue(name);
        if (value.isEmpty()) return Optional.empty();
        try {
            long n = Long.parseLong(value.get().strip());
            if (n >= 0) return Optional.of(n);
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new HubException(HubException.Kind.PROTOCOL, "malformed " + name + " header: "
                + RepoPath.quoted(value.get()));
    }

    private static boolean isRedirect(int status) {
        return status >= 300 && status <= 399 && status != 304;
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) return uri.getPort();
        return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    }

    @Override
    public void close() {
        client.close();
    }
}
