package org.gptq4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Reading the cache: offline mode, commit-pinned snapshots, and caches written by other tools (or by hand). */
class HubClientCacheTest extends HubTestBase {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final List<String> MAIN_FILES = List.of("config.json", "generation_config.json",
            "quantize_config.json", "special_tokens_map.json", "tokenizer.model", "tokenizer_config.json",
            "model.safetensors");

    /** Writes the huggingface_hub layout by hand: blobs named by hash, relative links, refs/main. */
    private Path handWrittenCache(List<String> files) throws IOException {
        Path repo = repoFolder();
        Files.createDirectories(repo.resolve("blobs"));
        Files.createDirectories(repo.resolve("refs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        for (String file : files) {
            byte[] content = bytes(fixture("main", file));
            String etag = FakeHub.isLfs(file) ? FakeHub.sha256(content) : FakeHub.gitBlobSha1(content);
            Files.write(repo.resolve("blobs").resolve(etag), content);
            Files.createSymbolicLink(snapshot.resolve(file), Path.of("../../blobs/" + etag));
        }
        Files.writeString(repo.resolve("refs/main"), COMMIT);
        return snapshot;
    }

    @Test
    void aHandWrittenCacheIsReadOfflineWithoutAnyRequest() throws IOException {
        Path snapshot = handWrittenCache(MAIN_FILES);

        try (HubClient client = client(c -> c.offline(true))) {
            assertThat(client.download(MAIN)).isEqualTo(snapshot);
            assertThat(client.resolveCommit(MAIN)).isEqualTo(COMMIT);
            assertThat(client.listFiles(MAIN)).containsExactlyInAnyOrderElementsOf(MAIN_FILES);
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aCompleteCommitPinnedSnapshotNeedsNoNetworkEvenOnline() throws IOException {
        Path snapshot = handWrittenCache(MAIN_FILES);

        assertThat(download(MAIN.withRevision(COMMIT))).isEqualTo(snapshot);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aDownloadedModelIsFoundAgainOffline() {
        Path online = download(MAIN.withRevision("sharded-4bit-32g"));

        try (HubClient client = client(c -> c.offline(true))) {
            assertThat(client.download(MAIN.withRevision("sharded-4bit-32g"))).isEqualTo(online);
        }
    }

    @Test
    void offlineWithoutTheModelSaysWhatIsMissing() {
        try (HubClient client = client(c -> c.offline(true))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.OFFLINE_MISSING);
            assertThat(e.getMessage()).contains("offline mode (HF_HUB_OFFLINE)", REPO, "refs/main", "download");
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void offlineWithAnIncompleteSnapshotNamesTheMissingFile() throws IOException {
        handWrittenCache(MAIN_FILES.subList(0, 6)); // no weights

        try (HubClient client = client(c -> c.offline(true))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.OFFLINE_MISSING);
            assertThat(e.getMessage()).contains("no safetensors weights");
        }
    }

    @Test
    void anIncompleteCommitPinnedSnapshotIsCompletedOnline() throws IOException {
        String commit = FakeHub.commitOf(REPO, "main");
        handWrittenCache(MAIN_FILES.subList(0, 6));
        Files.move(repoFolder().resolve("snapshots").resolve(COMMIT), repoFolder().resolve("snapshots").resolve(commit));

        Path snapshot = download(MAIN.withRevision(commit));

        assertThat(bytes(snapshot.resolve("model.safetensors"))).isEqualTo(bytes(fixture("main", "model.safetensors")));
        assertThat(hub.requests("hub", "HEAD", "/resolve/")).extracting(FakeHub.Seen::path)
                .containsExactly("/TheBloke/tiny-llama-gptq/resolve/" + commit + "/model.safetensors");
        CacheTree.assertOnlyVerifiedFiles(cache);
    }

    @Test
    void whenTheHubIsUnreachableTheCachedBranchIsUsed() {
        Path online = download(MAIN);
        hub.close();

        try (HubClient client = client()) {
            assertThat(client.download(MAIN)).isEqualTo(online);
        }
    }

    @Test
    void whenTheHubIsUnreachableAndNothingIsCachedTheNetworkErrorIsReported() {
        hub.close();

        try (HubClient client = client()) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.NETWORK);
        }
    }

    @Test
    void aCachedLinkPointingOutsideTheCacheIsRefused(@TempDir Path elsewhere) throws IOException {
        Path snapshot = handWrittenCache(MAIN_FILES);
        Path outside = Files.writeString(elsewhere.resolve("config.json"), "{}");
        Files.delete(snapshot.resolve("config.json"));
        Files.createSymbolicLink(snapshot.resolve("config.json"), outside);

        try (HubClient client = client(c -> c.offline(true))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.download(MAIN));
            assertThat(e.kind()).isEqualTo(HubException.Kind.INVALID_INPUT);
            assertThat(e.getMessage()).contains("outside");
        }
    }

    @Test
    void aCacheOfCopiesInsteadOfLinksIsReadToo() throws IOException {
        Path snapshot = handWrittenCache(MAIN_FILES);
        for (String file : MAIN_FILES) { // what huggingface_hub writes where symlinks are impossible
            Path link = snapshot.resolve(file);
            byte[] content = Files.readAllBytes(link);
            Files.delete(link);
            Files.write(link, content);
        }

        try (HubClient client = client(c -> c.offline(true))) {
            assertThat(client.download(MAIN)).isEqualTo(snapshot);
        }
    }
}
