package org.gptq4j.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Injected faults: each download either completes correctly or fails clearly, never caching a bad file. */
class HubClientFaultTest extends HubTestBase {
    private static final String WEIGHTS = "model.safetensors";

    @AfterEach
    void cacheHoldsOnlyCompleteVerifiedFiles() {
        if (Files.isDirectory(cache)) CacheTree.assertOnlyVerifiedFiles(cache);
    }

    private String weightsSha() {
        return FakeHub.sha256(bytes(fixture("main", WEIGHTS)));
    }

    @Test
    void connectionCutMidFileIsResumedWithRange() {
        hub.inject("cdn", p -> p.endsWith(weightsSha()), new FakeHub.Fault.CutAfter(100_000));

        Path snapshot = download(MAIN);

        assertThat(bytes(snapshot.resolve(WEIGHTS))).isEqualTo(bytes(fixture("main", WEIGHTS)));
        List<FakeHub.Seen> gets = hub.requests("cdn", "GET", weightsSha());
        assertThat(gets).hasSize(2);
        assertThat(gets.get(0).range()).isNull();
        // resumed where the received bytes end (the cut may lose some of the 100000 sent in flight)
        assertThat(gets.get(1).range()).matches("bytes=\\d+-");
        assertThat(Long.parseLong(gets.get(1).range().replaceAll("\\D", ""))).isBetween(1L, 100_000L);
    }

    @Test
    void aPartialDownloadLeftByAnotherProcessIsResumed() {
        hub.inject("cdn", p -> p.endsWith(weightsSha()), new FakeHub.Fault.CutAfter(65_536));
        try (HubClient impatient = client(c -> c.retry(new RetryPolicy(1, Duration.ZERO, Duration.ZERO)))) {
            HubException e = catchThrowableOfType(HubException.class, () -> impatient.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.NETWORK);
        }
        Path partial = repoFolder().resolve("blobs").resolve(weightsSha() + ".incomplete");
        long kept = bytes(partial).length;
        assertThat(kept).isBetween(1L, 65_536L);

        Path snapshot = download(MAIN);

        assertThat(bytes(snapshot.resolve(WEIGHTS))).isEqualTo(bytes(fixture("main", WEIGHTS)));
        assertThat(hub.requests("cdn", "GET", weightsSha()).getLast().range()).isEqualTo("bytes=" + kept + "-");
        assertThat(partial).doesNotExist();
    }

    @Test
    void aStalledConnectionTimesOutAndIsResumed() {
        hub.inject("cdn", p -> p.endsWith(weightsSha()), new FakeHub.Fault.Stall(40_000, 3_000));

        Path snapshot;
        try (HubClient client = client(c -> c.downloadTimeout(Duration.ofMillis(300)))) {
            snapshot = client.download(MAIN);
        }

        assertThat(bytes(snapshot.resolve(WEIGHTS))).isEqualTo(bytes(fixture("main", WEIGHTS)));
        assertThat(hub.requests("cdn", "GET", weightsSha()).getLast().range()).startsWith("bytes=");
    }

    @Test
    void aCorruptedByteIsRefusedAndNothingIsCached() {
        hub.inject("cdn", p -> p.endsWith(weightsSha()), new FakeHub.Fault.CorruptByte(12_345));

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INTEGRITY);
            assertThat(e.getMessage()).contains(WEIGHTS, "SHA-256", weightsSha());
        }
        assertThat(repoFolder().resolve("blobs").resolve(weightsSha())).doesNotExist();
        assertThat(repoFolder().resolve("blobs").resolve(weightsSha() + ".incomplete")).doesNotExist();
        assertThat(repoFolder().resolve("snapshots").resolve(FakeHub.commitOf(REPO, "main")).resolve(WEIGHTS))
                .doesNotExist();

        Path snapshot = download(MAIN); // the next try starts clean and succeeds
        assertThat(bytes(snapshot.resolve(WEIGHTS))).isEqualTo(bytes(fixture("main", WEIGHTS)));
    }

    @Test
    void aCorruptedGitFileIsRefusedByItsGitSha1() {
        hub.inject("hub", p -> p.endsWith("/config.json"), new FakeHub.Fault.CorruptByte(3));

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INTEGRITY);
            assertThat(e.getMessage()).contains("config.json", "git SHA-1");
        }
    }

    @Test
    void moreBytesThanAnnouncedAreRefused() {
        hub.inject("cdn", p -> p.endsWith(weightsSha()), new FakeHub.Fault.Oversize(10));

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INTEGRITY);
            assertThat(e.getMessage()).contains(WEIGHTS, "announced");
        }
        assertThat(repoFolder().resolve("blobs").resolve(weightsSha() + ".incomplete")).doesNotExist();
    }

    @Test
    void anOversizeApiAnswerIsRefused() {
        try (HubClient client = client(c -> c.maxApiResponseBytes(200))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INTEGRITY);
            assertThat(e.getMessage()).contains("larger than 200 bytes");
        }
    }

    @Test
    void tooManyRequestsIsRetriedAfterTheTimeTheServerAsks() {
        hub.inject("hub", p -> p.startsWith("/api/"), new FakeHub.Fault.Status(429, Map.of("Retry-After", "2")));
        hub.inject("cdn", p -> p.endsWith(weightsSha()), new FakeHub.Fault.Status(503, Map.of()));

        try (HubClient client = client(c -> c.retry(new RetryPolicy(4, Duration.ofMillis(1), Duration.ofSeconds(10))))) {
            client.download(MAIN);
        }

        assertThat(sleeps).containsExactly(Duration.ofSeconds(2), Duration.ofMillis(1));
        assertThat(hub.requests("hub", "GET", "/api/")).hasSize(2);
    }

    @Test
    void serverErrorsGiveUpAfterTheLastAttempt() {
        for (int i = 0; i < 4; i++) hub.inject("hub", p -> p.startsWith("/api/"), new FakeHub.Fault.Status(502, Map.of()));

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.NETWORK);
            assertThat(e.getMessage()).contains("4 attempt(s)", "HTTP 502", REPO);
        }
        assertThat(sleeps).containsExactly(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(4));
    }

    @Test
    void unauthorizedExplainsGatedReposAndHfToken() {
        hub.requireToken("hf_right");

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.UNAUTHORIZED);
            assertThat(e.getMessage()).contains(REPO, "401", "gated", "HF_TOKEN", "No token was sent");
        }
    }

    @Test
    void aRefusedTokenNeverAppearsInErrorsOrConfig() {
        hub.requireToken("hf_right");
        String secret = "hf_SeCrEt_do_not_print";

        try (HubClient client = client(c -> c.token(secret))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.UNAUTHORIZED);
            assertThat(e.getMessage()).contains("token was sent and refused").doesNotContain(secret);
            assertThat(e.toString()).doesNotContain(secret);
            assertThat(client.config().toString()).doesNotContain(secret).contains("<redacted>");
        }
    }

    private static void assertMissing(Throwable thrown, HubException.Missing missing) {
        assertThat(thrown).isInstanceOfSatisfying(HubException.class, e -> {
            assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND);
            assertThat(e.missing()).contains(missing);
        });
    }

    @Test
    void notFoundNamesRepositoryRevisionAndFile() {
        try (HubClient client = client()) {
            assertThatThrownBy(() -> client.download(ModelRef.of("TheBloke/no-such-model")))
                    .satisfies(e -> assertMissing(e, HubException.Missing.REPOSITORY))
                    .hasMessageContaining("repository TheBloke/no-such-model not found");
            assertThatThrownBy(() -> client.download(MAIN.withRevision("gptq-5bit")))
                    .satisfies(e -> assertMissing(e, HubException.Missing.REVISION))
                    .hasMessageContaining("revision 'gptq-5bit' not found in " + REPO);
            assertThatThrownBy(() -> client.downloadFile(MAIN, "missing.json", DownloadListener.NONE))
                    .satisfies(e -> assertMissing(e, HubException.Missing.FILE))
                    .hasMessageContaining("file 'missing.json' not found in " + REPO + " at revision main");
            assertThatThrownBy(() -> client.listRefs("TheBloke/no-such-model"))
                    .satisfies(e -> assertMissing(e, HubException.Missing.REPOSITORY))
                    .hasMessageContaining("the branches and tags of repository TheBloke/no-such-model");
        }
        assertThat(repoFolder().resolve(".no_exist").resolve(FakeHub.commitOf(REPO, "main")).resolve("missing.json"))
                .exists().isEmptyFile();
    }

    @Test
    void aNotFoundWithoutErrorCodeDoesNotGuessWhatIsMissing() {
        hub.inject("hub", path -> path.contains("/resolve/"), new FakeHub.Fault.Status(404, Map.of()));
        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class,
                    () -> client.downloadFile(MAIN, "config.json", DownloadListener.NONE));
            assertThat(e.kind()).isEqualTo(HubException.Kind.NOT_FOUND);
            assertThat(e.missing()).isEmpty();
        }
    }

    @Test
    void aRevisionNotFoundForAFileMarksNothingMissing() {
        hub.inject("hub", path -> path.contains("/resolve/"),
                new FakeHub.Fault.Status(404, Map.of("X-Error-Code", "RevisionNotFound")));
        try (HubClient client = client()) {
            assertThatThrownBy(() -> client.downloadFile(MAIN, "config.json", DownloadListener.NONE))
                    .satisfies(e -> assertMissing(e, HubException.Missing.REVISION));
        }
        assertThat(repoFolder().resolve(".no_exist")).doesNotExist();
    }

    @Test
    void aPathTraversalNameInTheListingIsRefused() {
        hub.addListingEntry(REPO, "../../../escaped.json");

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INVALID_INPUT);
            assertThat(e.getMessage()).contains("'../../../escaped.json'");
        }
        assertThat(cache.getParent().getParent().resolve("escaped.json")).doesNotExist();
        assertThat(hub.requests()).extracting(FakeHub.Seen::method).containsOnly("GET").hasSize(1);
    }

    @Test
    void aPathTraversalShardInTheIndexIsRefused() {
        hub.overrideFile("model.safetensors.index.json",
                "{\"weight_map\": {\"lm_head.weight\": \"../../../../escaped.safetensors\"}}");

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class,
                    () -> client.download(MAIN.withRevision("sharded-4bit-32g")));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INVALID_INPUT);
            assertThat(e.getMessage()).contains("escaped.safetensors", "model.safetensors.index.json");
        }
        assertThat(hub.requests("hub", "HEAD", "escaped")).isEmpty();
    }

    @Test
    void aMalformedCommitFromTheServerIsRefused() {
        hub.inject("hub", p -> p.startsWith("/api/"), new FakeHub.Fault.Status(200, Map.of()));

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.PROTOCOL);
        }
    }
}
