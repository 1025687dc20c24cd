package org.gptq4j.hub;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** A fresh {@link FakeHub} serving the fixture repository, an empty cache, and clients with tiny backoff delays. */
abstract class HubTestBase {
    static final String REPO = "TheBloke/tiny-llama-gptq";
    static final ModelRef MAIN = ModelRef.of(REPO);

    @TempDir
    Path cache;
    FakeHub hub;
    /** Every wait a client asked for, instead of sleeping it. */
    final List<Duration> sleeps = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startHub() {
        hub = new FakeHub().serve(REPO, Fixtures.root().resolve(Fixtures.TINY));
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    HubConfig.Builder config() {
        return HubConfig.builder().endpoint(hub.endpoint()).cacheDir(cache)
                .retry(new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5)))
                .connectTimeout(Duration.ofSeconds(2)).metadataTimeout(Duration.ofSeconds(5))
                .downloadTimeout(Duration.ofSeconds(5));
    }

    HubClient client() {
        return client(c -> c);
    }

    HubClient client(UnaryOperator<HubConfig.Builder> settings) {
        return new HubClient(settings.apply(config()).build(), sleeps::add);
    }

    Path download(ModelRef ref) {
        try (HubClient client = client()) {
            return client.download(ref);
        }
    }

    static Path fixture(String branch, String file) {
        return Fixtures.model(Fixtures.TINY, branch).resolve(file);
    }

    static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path repoFolder() {
        return cache.resolve("models--TheBloke--tiny-llama-gptq");
    }
}
