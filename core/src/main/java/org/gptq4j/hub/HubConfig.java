package org.gptq4j.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where and how the {@link HubClient} talks to the Hub and keeps its cache. Build one with {@link #builder()}, or
 * read it from the same environment variables huggingface_hub reads with {@link #fromEnvironment(Map)}.
 *
 * <p>The token is a secret: {@link #toString()} never shows it, and nothing in this package logs it.
 *
 * <p>Every read from the network is bounded: a request waits at most its timeout for the response headers and,
 * while reading a body, at most as long again for the next byte; every body (API answer or file) must arrive at
 * {@code minTransferRate} or faster, measured over each {@code transferRateWindow} it is being received (summed over
 * the attempts of one file), or the transfer ends with a {@link HubException.Kind#NETWORK} error that is not retried.
 * No file grows past the size the Hub announced; a file stored in git (not LFS) must also fit {@code maxGitFileBytes},
 * and an LFS file that announces no size is refused.
 *
 * @param endpoint            the Hub, e.g. {@code https://huggingface.co} (no trailing slash)
 * @param cacheDir            the huggingface_hub cache folder, e.g. {@code ~/.cache/huggingface/hub}
 * @param offline             use the cache only, never the network
 * @param token               the access token for private and gated repositories, or {@code null}
 * @param connectTimeout      limit for opening a connection
 * @param metadataTimeout     API answers and {@code HEAD}s of files: limit for the response headers and for each
 *                            wait on the body (huggingface_hub's {@code HF_HUB_ETAG_TIMEOUT}, default 10 s)
 * @param downloadTimeout     file contents: limit for the response headers and for a body stalled without a byte
 *                            (huggingface_hub's {@code HF_HUB_DOWNLOAD_TIMEOUT}, default 10 s)
 * @param minTransferRate     slowest accepted transfer in bytes per second (default 1024); 0 disables the rule
 * @param transferRateWindow  the stretch of receiving over which {@code minTransferRate} is measured (default 30 s)
 * @param retry               when and how often failed requests are tried again
 * @param maxApiResponseBytes largest JSON answer accepted from the Hub API (default 8 MiB)
 * @param maxGitFileBytes     largest file stored in git rather than LFS: configs, tokenizer files, shard indexes
 *                            (default 64 MiB; the Hub itself stores files over 10 MB in LFS)
 */
public record HubConfig(URI endpoint, Path cacheDir, boolean offline, String token, Duration connectTimeout,
                        Duration metadataTimeout, Duration downloadTimeout, long minTransferRate,
                        Duration transferRateWindow, RetryPolicy retry, long maxApiResponseBytes, long maxGitFileBytes) {

    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    /** huggingface_hub's {@code DEFAULT_ETAG_TIMEOUT} and {@code DEFAULT_DOWNLOAD_TIMEOUT}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final long DEFAULT_MIN_TRANSFER_RATE = 1024;
    public static final Duration DEFAULT_TRANSFER_RATE_WINDOW = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_API_RESPONSE_BYTES = 8L << 20;
    public static final long DEFAULT_MAX_GIT_FILE_BYTES = 64L << 20;
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    public HubConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(metadataTimeout, "metadataTimeout");
        requirePositive(downloadTimeout, "downloadTimeout");
        requirePositive(transferRateWindow, "transferRateWindow");
        Objects.requireNonNull(retry, "retry");
        String scheme = endpoint.getScheme();
        if (!"https".equalsIgnoreCase(scheme) && !"http".equalsIgnoreCase(scheme) || endpoint.getHost() == null) {
            throw new IllegalArgumentException("Hub endpoint must be an http(s) URL, got " + endpoint);
        }
        endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
        cacheDir = cacheDir.toAbsolutePath().normalize();
        if (token != null && token.isBlank()) token = null;
        if (token != null) token = token.strip();
        if (minTransferRate < 0) throw new IllegalArgumentException("minTransferRate must not be negative");
        if (maxApiResponseBytes <= 0) throw new IllegalArgumentException("maxApiResponseBytes must be positive");
        if (maxGitFileBytes <= 0) throw new IllegalArgumentException("maxGitFileBytes must be positive");
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
    }

    /** Defaults: huggingface.co, the default cache, online, no token. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().endpoint(endpoint).cacheDir(cacheDir).offline(offline).token(token)
                .connectTimeout(connectTimeout).metadataTimeout(metadataTimeout).downloadTimeout(downloadTimeout)
                .minTransferRate(minTransferRate).transferRateWindow(transferRateWindow).retry(retry)
                .maxApiResponseBytes(maxApiResponseBytes).maxGitFileBytes(maxGitFileBytes);
    }

    /**
     * The configuration huggingface_hub would use in this environment:
     * <ul>
     *   <li>{@code HF_ENDPOINT} (default {@code https://huggingface.co});</li>
     *   <li>cache: {@code HF_HUB_CACHE}, else {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, where
     *       {@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface};</li>
     *   <li>{@code HF_HUB_OFFLINE} = 1/ON/YES/TRUE: cache only;</li>
     *   <li>token: {@code HF_TOKEN}, else {@code HUGGING_FACE_HUB_TOKEN}, else the file {@code HF_TOKEN_PATH},
     *       else {@code $HF_HOME/token} (what {@code huggingface-cli login} writes);</li>
     *   <li>{@code HF_HUB_ETAG_TIMEOUT}: {@link #metadataTimeout} in seconds, {@code HF_HUB_DOWNLOAD_TIMEOUT}:
     *       {@link #downloadTimeout} in seconds (default 10 each).</li>
     * </ul>
     *
     * @param env the environment, e.g. {@code System.getenv()}; injectable so tests do not read the real one
     */
    public static HubConfig fromEnvironment(Map<String, String> env) {
        Path hfHome = path(env, "HF_HOME");
        if (hfHome == null) {
            Path xdg = path(env, "XDG_CACHE_HOME");
            hfHome = (xdg != null ? xdg : Path.of(System.getProperty("user.home"), ".cache")).resolve("huggingface");
        }
        Path cache = path(env, "HF_HUB_CACHE");
        if (cache == null) cache = path(env, "HUGGINGFACE_HUB_CACHE");
        if (cache == null) cache = hfHome.resolve("hub");

        String token = firstNonBlank(env.get("HF_TOKEN"), env.get("HUGGING_FACE_HUB_TOKEN"));
        if (token == null) {
            Path tokenFile = path(env, "HF_TOKEN_PATH");
            token = readTokenFile(tokenFile != null ? tokenFile : hfHome.resolve("token"));
        }
        Builder builder = builder().cacheDir(cache).token(token)
                .offline(TRUE_VALUES.contains(env.getOrDefault("HF_HUB_OFFLINE", "").strip().toUpperCase(Locale.ROOT)));
        String endpoint = env.get("HF_ENDPOINT");
        if (endpoint != null && !endpoint.isBlank()) builder.endpoint(URI.create(endpoint.strip()));
        seconds(env, "HF_HUB_ETAG_TIMEOUT").ifPresent(builder::metadataTimeout);
        seconds(env, "HF_HUB_DOWNLOAD_TIMEOUT").ifPresent(builder::downloadTimeout);
        return builder.build();
    }

    /** Whether a token is configured (the token itself is not shown). */
    public boolean hasToken() {
        return token != null;
    }

    @Override
    public String toString() {
        return "HubConfig[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", offline=" + offline
                + ", token=" + (token == null ? "none" : "<redacted>") + ", connectTimeout=" + connectTimeout
                + ", metadataTimeout=" + metadataTimeout + ", downloadTimeout=" + downloadTimeout
                + ", minTransferRate=" + minTransferRate + ", transferRateWindow=" + transferRateWindow
                + ", retry=" + retry + ", maxApiResponseBytes=" + maxApiResponseBytes
                + ", maxGitFileBytes=" + maxGitFileBytes + "]";
    }

    private static Path path(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) return null;
        value = value.strip();
        if (value.equals("~") || value.startsWith("~/")) value = System.getProperty("user.home") + value.substring(1);
        return Path.of(value);
    }

    /** A positive number of seconds, as huggingface_hub reads its timeout variables; empty when unset. */
    private static Optional<Duration> seconds(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) return Optional.empty();
        try {
            double seconds = Double.parseDouble(value.strip());
            if (seconds > 0 && seconds <= Duration.ofDays(1).toSeconds()) {
                return Optional.of(Duration.ofNanos(Math.round(seconds * 1e9)));
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive number of seconds (at most a day), got '"
                + value.strip() + "'");
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v.strip();
        return null;
    }

    private static String readTokenFile(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            return firstNonBlank(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Hub token file " + file, e);
        }
    }

    /** Builds a {@link HubConfig}; every setting has a default. */
    public static final class Builder {
        private URI endpoint = DEFAULT_ENDPOINT;
        private Path cacheDir = Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
        private boolean offline;
        private String token;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration metadataTimeout = DEFAULT_TIMEOUT;
        private Duration downloadTimeout = DEFAULT_TIMEOUT;
        private long minTransferRate = DEFAULT_MIN_TRANSFER_RATE;
        private Duration transferRateWindow = DEFAULT_TRANSFER_RATE_WINDOW;
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private long maxApiResponseBytes = DEFAULT_MAX_API_RESPONSE_BYTES;
        private long maxGitFileBytes = DEFAULT_MAX_GIT_FILE_BYTES;

        private Builder() {}

        public Builder endpoint(URI endpoint) { this.endpoint = endpoint; return this; }
        public Builder endpoint(String endpoint) { return endpoint(URI.create(endpoint)); }
        public Builder cacheDir(Path cacheDir) { this.cacheDir = cacheDir; return this; }
        public Builder offline(boolean offline) { this.offline = offline; return this; }
        public Builder token(String token) { this.token = token; return this; }
        public Builder connectTimeout(Duration timeout) { this.connectTimeout = timeout; return this; }
        public Builder metadataTimeout(Duration timeout) { this.metadataTimeout = timeout; return this; }
        public Builder downloadTimeout(Duration timeout) { this.downloadTimeout = timeout; return this; }
        public Builder minTransferRate(long bytesPerSecond) { this.minTransferRate = bytesPerSecond; return this; }
        public Builder transferRateWindow(Duration window) { this.transferRateWindow = window; return this; }
        public Builder retry(RetryPolicy retry) { this.retry = retry; return this; }
        public Builder maxApiResponseBytes(long bytes) { this.maxApiResponseBytes = bytes; return this; }
        public Builder maxGitFileBytes(long bytes) { this.maxGitFileBytes = bytes; return this; }

        public HubConfig build() {
            return new HubConfig(endpoint, cacheDir, offline, token, connectTimeout, metadataTimeout, downloadTimeout,
                    minTransferRate, transferRateWindow, retry, maxApiResponseBytes, maxGitFileBytes);
        }
    }
}
