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
import java.util.Set;

/**
 * Where and how the {@link HubClient} talks to the Hub and keeps its cache. Build one with {@link #builder()}, or
 * read it from the same environment variables huggingface_hub reads with {@link #fromEnvironment(Map)}.
 *
 * <p>The token is a secret: {@link #toString()} never shows it, and nothing in this package logs it.
 *
 * @param endpoint            the Hub, e.g. {@code https://huggingface.co} (no trailing slash)
 * @param cacheDir            the huggingface_hub cache folder, e.g. {@code ~/.cache/huggingface/hub}
 * @param offline             use the cache only, never the network
 * @param token               the access token for private and gated repositories, or {@code null}
 * @param connectTimeout      limit for opening a connection
 * @param readTimeout         limit for waiting on response headers, and for a download stalled without a byte
 * @param retry               when and how often failed requests are tried again
 * @param maxApiResponseBytes largest JSON answer accepted from the Hub API
 */
public record HubConfig(URI endpoint, Path cacheDir, boolean offline, String token, Duration connectTimeout,
                        Duration readTimeout, RetryPolicy retry, long maxApiResponseBytes) {

    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    public HubConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(retry, "retry");
        String scheme = endpoint.getScheme();
        if (!"https".equalsIgnoreCase(scheme) && !"http".equalsIgnoreCase(scheme) || endpoint.getHost() == null) {
            throw new IllegalArgumentException("Hub endpoint must be an http(s) URL, got " + endpoint);
        }
        endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
        cacheDir = cacheDir.toAbsolutePath().normalize();
        if (token != null && token.isBlank()) token = null;
        if (token != null) token = token.strip();
        if (maxApiResponseBytes <= 0) throw new IllegalArgumentException("maxApiResponseBytes must be positive");
    }

    /** Defaults: huggingface.co, the default cache, online, no token. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder().endpoint(endpoint).cacheDir(cacheDir).offline(offline).token(token)
                .connectTimeout(connectTimeout).readTimeout(readTimeout).retry(retry)
                .maxApiResponseBytes(maxApiResponseBytes);
    }

    /**
     * The configuration huggingface_hub would use in this environment:
     * <ul>
     *   <li>{@code HF_ENDPOINT} (default {@code https://huggingface.co});</li>
     *   <li>cache: {@code HF_HUB_CACHE}, else {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, where
     *       {@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface};</li>
     *   <li>{@code HF_HUB_OFFLINE} = 1/ON/YES/TRUE: cache only;</li>
     *   <li>token: {@code HF_TOKEN}, else {@code HUGGING_FACE_HUB_TOKEN}, else the file {@code HF_TOKEN_PATH},
     *       else {@code $HF_HOME/token} (what {@code huggingface-cli login} writes).</li>
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
                + ", readTimeout=" + readTimeout + ", retry=" + retry + ", maxApiResponseBytes=" + maxApiResponseBytes
                + "]";
    }

    private static Path path(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) return null;
        value = value.strip();
        if (value.equals("~") || value.startsWith("~/")) value = System.getProperty("user.home") + value.substring(1);
        return Path.of(value);
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
        private Duration readTimeout = Duration.ofSeconds(30);
        private RetryPolicy retry = RetryPolicy.DEFAULT;
        private long maxApiResponseBytes = 8L << 20;

        private Builder() {}

        public Builder endpoint(URI endpoint) { this.endpoint = endpoint; return this; }
        public Builder endpoint(String endpoint) { return endpoint(URI.create(endpoint)); }
        public Builder cacheDir(Path cacheDir) { this.cacheDir = cacheDir; return this; }
        public Builder offline(boolean offline) { this.offline = offline; return this; }
        public Builder token(String token) { this.token = token; return this; }
        public Builder connectTimeout(Duration timeout) { this.connectTimeout = timeout; return this; }
        public Builder readTimeout(Duration timeout) { this.readTimeout = timeout; return this; }
        public Builder retry(RetryPolicy retry) { this.retry = retry; return this; }
        public Builder maxApiResponseBytes(long bytes) { this.maxApiResponseBytes = bytes; return this; }

        public HubConfig build() {
            return new HubConfig(endpoint, cacheDir, offline, token, connectTimeout, readTimeout, retry,
                    maxApiResponseBytes);
        }
    }
}
