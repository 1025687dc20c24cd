package org.gptq4j.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A hostile or broken server cannot make a download hang, crawl or fill the disk: every read has an idle timeout,
 * every transfer a minimum rate, every file a size limit. The timeout guards against a regression hanging the build.
 */
@Timeout(60)
class HubClientLimitsTest extends HubTestBase {
    private static final String WEIGHTS = "model.safetensors";

    @AfterEach
    void cacheHoldsOnlyCompleteVerifiedFiles() {
        if (Files.isDirectory(cache)) CacheTree.assertOnlyVerifiedFiles(cache);
    }

    private String weightsSha() {
        return FakeHub.sha256(bytes(fixture("main", WEIGHTS)));
    }

    private Path partialWeights() {
        return repoFolder().resolve("blobs").resolve(weightsSha() + ".incomplete");
    }

    @Test
    void aListingThatStallsMidAnswerIsCutAfterTheMetadataTimeout() {
        hub.inject("hub", p -> p.startsWith("/api/"), new FakeHub.Fault.Stall(20, 20_000));

        try (HubClient client = client(c -> c.metadataTimeout(Duration.ofSeconds(1))
                .retry(new RetryPolicy(1, Duration.ZERO, Duration.ZERO)))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.NETWORK);
            assertThat(e.getMessage()).contains("listing of repository " + REPO, "no data received for 1000 ms");
        }
    }

    @Test
    void aListingThatStalledOnceIsAskedForAgain() {
        hub.inject("hub", p -> p.startsWith("/api/"), new FakeHub.Fault.Stall(20, 20_000));

        Path snapshot;
        try (HubClient client = client(c -> c.metadataTimeout(Duration.ofSeconds(1)))) {
            snapshot = client.download(MAIN);
        }

        assertThat(bytes(snapshot.resolve("config.json"))).isEqualTo(bytes(fixture("main", "config.json")));
        assertThat(hub.requests("hub", "GET", "/api/")).hasSize(2);
    }

    @Test
    void aFileTrickledByteByByteIsCutByTheMinimumRateAndResumedLater() {
        hub.inject("cdn", p -> p.endsWith(weightsSha()), new FakeHub.Fault.Trickle(20));

        try (HubClient client = client(c -> c.minTransferRate(10_000).transferRateWindow(Duration.ofMillis(300)))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.NETWORK);
            assertThat(e.getMessage()).contains(WEIGHTS, "too slow", "10000 bytes/s", "minTransferRate");
        }
        long kept = bytes(partialWeights()).length;
        assertThat(kept).as("what arrived is kept for resuming").isPositive();

        Path snapshot = download(MAIN);

        assertThat(bytes(snapshot.resolve(WEIGHTS))).isEqualTo(bytes(fixture("main", WEIGHTS)));
        assertThat(hub.requests("cdn", "GET", weightsSha()).getLast().range()).isEqualTo("bytes=" + kept + "-");
    }

    @Test
    void aByteThenAStallOnEveryAttemptIsAsSlowAsATrickle() {
        download(MAIN); // everything cached, so that only the weights are fetched below
        String weightsBlob = weightsSha();
        Path blob = repoFolder().resolve("blobs").resolve(weightsBlob);
        deleteWeights(blob);
        // Each attempt gets one byte at once, then nothing until the idle timeout cuts it; it made progress, so the
        // retry count starts over, and only the rate summed over the attempts ends it.
        for (int i = 0; i < 40; i++) {
            hub.inject("cdn", p -> p.endsWith(weightsBlob), new FakeHub.Fault.Trickle(2_000));
        }

        try (HubClient client = client(c -> c.downloadTimeout(Duration.ofMillis(500)).minTransferRate(1_000)
                .transferRateWindow(Duration.ofMillis(1_200)).retry(new RetryPolicy(10, Duration.ofMillis(1),
                        Duration.ofMillis(5))))) {
            HubException e = catchThrowableOfType(HubException.class,
                    () -> client.downloadFile(MAIN, WEIGHTS, DownloadListener.NONE));
            assertThat(e.kind()).isEqualTo(HubException.Kind.NETWORK);
            assertThat(e.getMessage()).contains(WEIGHTS, "too slow");
        }
        assertThat(hub.requests("cdn", "GET", weightsBlob).size()).as("attempts").isBetween(1 + 2, 1 + 10);
        hub.clearFaults();
        download(MAIN); // resumes what the slow attempts kept
    }

    /** Removes the cached weights (blob and snapshot link), as if they had never been downloaded. */
    private void deleteWeights(Path blob) {
        try {
            Files.delete(blob);
            Files.delete(repoFolder().resolve("snapshots").resolve(FakeHub.commitOf(REPO, "main")).resolve(WEIGHTS));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anLfsFileThatAnnouncesNoSizeIsRefusedBeforeItsDownload() {
        hub.announceNoSize();

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.PROTOCOL);
            // tokenizer.model is the first LFS file fetched
            assertThat(e.getMessage()).contains("tokenizer.model", "announced no size", "LFS");
        }
        assertThat(hub.requests("cdn", "GET", "/")).isEmpty();
        // files stored in git may announce no size: they were downloaded, within maxGitFileBytes, and verified
        Path config = repoFolder().resolve("snapshots").resolve(FakeHub.commitOf(REPO, "main")).resolve("config.json");
        assertThat(bytes(config)).isEqualTo(bytes(fixture("main", "config.json")));
    }

    @Test
    void aGitFileWithoutSizeThatNeverEndsStopsAtTheLimitAndIsDeleted() {
        hub.announceNoSize();
        hub.inject("hub", p -> p.endsWith("/config.json"), new FakeHub.Fault.Endless());

        try (HubClient client = client(c -> c.maxGitFileBytes(65_536))) {
            HubException e = catchThrowableOfType(HubException.class,
                    () -> client.downloadFile(MAIN, "config.json", DownloadListener.NONE));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INTEGRITY);
            assertThat(e.getMessage()).contains("config.json", "65536", "maxGitFileBytes", "deleted");
        }
        try (var blobs = Files.list(repoFolder().resolve("blobs"))) {
            assertThat(blobs).as("nothing is left of the refused download").isEmpty();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aGitFileAnnouncingMoreThanTheLimitIsRefusedBeforeItsDownload() {
        long size = bytes(fixture("main", "config.json")).length;

        try (HubClient client = client(c -> c.maxGitFileBytes(100))) {
            HubException e = catchThrowableOfType(HubException.class,
                    () -> client.downloadFile(MAIN, "config.json", DownloadListener.NONE));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INTEGRITY);
            assertThat(e.getMessage()).contains("config.json", size + " bytes", "100", "maxGitFileBytes");
        }
        assertThat(hub.requests("hub", "GET", "/config.json")).isEmpty();
    }

    @Test
    void anEndlessApiAnswerIsCutAtTheLimit() {
        hub.inject("hub", p -> p.startsWith("/api/"), new FakeHub.Fault.Endless());

        try (HubClient client = client(c -> c.maxApiResponseBytes(4096))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INTEGRITY);
            assertThat(e.getMessage()).contains("larger than 4096 bytes");
        }
    }
}
