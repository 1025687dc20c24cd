package org.gptq4j.hub;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Downloads over a loopback Hub without faults: what is fetched, and how the cache is laid out. */
class HubClientDownloadTest extends HubTestBase {

    @Test
    void cacheIsLaidOutExactlyAsHuggingfaceHubLaysItOut() throws IOException {
        Path snapshot = download(MAIN);

        List<String> expected;
        try (var in = getClass().getResourceAsStream("/hub/expected-layout-main.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        }
        assertThat(CacheTree.listing(cache)).containsExactlyElementsOf(expected);
        assertThat(snapshot).isEqualTo(repoFolder().resolve("snapshots").resolve(FakeHub.commitOf(REPO, "main")));
        assertThat(Files.readString(repoFolder().resolve("refs/main"))).isEqualTo(FakeHub.commitOf(REPO, "main"));
        CacheTree.assertOnlyVerifiedFiles(cache);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            main                         | model.safetensors quantize_config.json
            oldname-4bit-128g            | gptq_model-4bit-128g.safetensors quantize_config.json
            sharded-4bit-32g             | model.safetensors.index.json model-00001-of-00002.safetensors model-00002-of-00002.safetensors quantize_config.json
            asym-4bit-128g-noact-config  | model.safetensors
            gptq-8bit--1g-actorder_True  | model.safetensors quantize_config.json
            """)
    void eachBranchGetsTheWeightsItsConfigsNameWithIdenticalContent(String branch, String specificFiles) {
        Path snapshot = download(MAIN.withRevision(branch));

        List<String> expected = new java.util.ArrayList<>(List.of("config.json", "generation_config.json",
                "special_tokens_map.json", "tokenizer.model", "tokenizer_config.json"));
        expected.addAll(Arrays.asList(specificFiles.split(" ")));
        try (var files = Files.list(snapshot)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(expected);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (String file : expected) {
            assertThat(bytes(snapshot.resolve(file))).as(file).isEqualTo(bytes(fixture(branch, file)));
        }
        assertThat(snapshot.getFileName().toString()).isEqualTo(FakeHub.commitOf(REPO, branch));
        CacheTree.assertOnlyVerifiedFiles(cache);
    }

    @Test
    void revisionIsPercentEncodedAsOnePathSegment() {
        download(MAIN.withRevision("gptq-4bit-32g-actorder_True"));

        assertThat(hub.requests("hub", "GET", "/api/models/"))
                .extracting(FakeHub.Seen::path)
                .containsExactly("/api/models/TheBloke/tiny-llama-gptq/revision/gptq-4bit-32g-actorder_True");
        assertThat(hub.requests("hub", "HEAD", "/resolve/")).allSatisfy(seen ->
                assertThat(seen.path()).contains("/resolve/" + FakeHub.commitOf(REPO, "gptq-4bit-32g-actorder_True")
                        + "/"));
    }

    @Test
    void blobsSharedBetweenBranchesAreDownloadedOnce() {
        download(MAIN);
        int cdnGets = hub.requests("cdn", "GET", "/").size();

        Path oldname = download(MAIN.withRevision("oldname-4bit-128g"));

        // the same weights under another name: one blob, linked twice, and nothing new from the CDN
        assertThat(hub.requests("cdn", "GET", "/")).hasSize(cdnGets);
        assertThat(bytes(oldname.resolve("gptq_model-4bit-128g.safetensors")))
                .isEqualTo(bytes(fixture("main", "model.safetensors")));
        CacheTree.assertOnlyVerifiedFiles(cache);
    }

    @Test
    void aSecondDownloadOfABranchOnlyAsksForTheCommit() {
        download(MAIN);
        int before = hub.requests().size();

        download(MAIN);

        assertThat(hub.requests().subList(before, hub.requests().size())).extracting(FakeHub.Seen::path)
                .containsExactly("/api/models/TheBloke/tiny-llama-gptq/revision/main");
    }

    @Test
    void tokenGoesToTheHubButNeverToTheCdn() {
        hub.requireToken("hf_test_token");

        try (HubClient client = client(c -> c.token("hf_test_token"))) {
            client.download(MAIN);
        }

        assertThat(hub.requests()).filteredOn(s -> s.server().equals("hub"))
                .isNotEmpty().allSatisfy(s -> assertThat(s.authorization()).isEqualTo("Bearer hf_test_token"));
        assertThat(hub.requests()).filteredOn(s -> s.server().equals("cdn"))
                .isNotEmpty().allSatisfy(s -> assertThat(s.authorization()).isNull());
    }

    @Test
    void relativeRedirectOfTheHubIsFollowed() {
        String commit = FakeHub.commitOf(REPO, "main");
        String path = "/TheBloke/tiny-llama-gptq/resolve/" + commit + "/config.json";
        hub.inject("hub", p -> p.equals(path), new FakeHub.Fault.Status(307, Map.of("Location", path)));

        Path snapshot = download(MAIN);

        assertThat(hub.requests("hub", "HEAD", "/config.json")).hasSize(2);
        assertThat(bytes(snapshot.resolve("config.json"))).isEqualTo(bytes(fixture("main", "config.json")));
    }

    @Test
    void anAbsoluteRedirectToTheSameHostIsTheFileLocationNotFollowedByTheHead() {
        // a mirror serving LFS files from its own host: huggingface_hub takes the metadata from the redirect
        hub.lfsOnHubHost();

        Path snapshot = download(MAIN);

        assertThat(bytes(snapshot.resolve("model.safetensors"))).isEqualTo(bytes(fixture("main", "model.safetensors")));
        String weights = FakeHub.sha256(bytes(fixture("main", "model.safetensors")));
        assertThat(hub.requests("hub", "HEAD", "/lfs-store/")).isEmpty();
        assertThat(hub.requests("hub", "GET", "/lfs-store/" + weights)).hasSize(1);
        assertThat(hub.requests("cdn", "GET", "/")).isEmpty();
        CacheTree.assertOnlyVerifiedFiles(cache);
    }

    @Test
    void theTokenNeverFollowsARedirectToAnotherHostNorComesBackAfterOne() {
        hub.requireToken("hf_test_token");
        byte[] config = bytes(fixture("main", "config.json"));
        hub.inject("hub", p -> p.endsWith("/config.json"), new FakeHub.Fault.Redirect(hub.cdnUrlOf(config).toString()));
        String weights = FakeHub.sha256(bytes(fixture("main", "model.safetensors")));
        hub.inject("cdn", p -> p.endsWith(weights),
                new FakeHub.Fault.Redirect(hub.endpoint() + "/lfs-store/" + weights));

        Path snapshot;
        try (HubClient client = client(c -> c.token("hf_test_token"))) {
            snapshot = client.download(MAIN);
        }

        assertThat(bytes(snapshot.resolve("config.json"))).isEqualTo(config);
        assertThat(hub.requests("cdn", "GET", "/")).hasSize(3) // config.json, tokenizer.model, the weights
                .allSatisfy(s -> assertThat(s.authorization()).isNull());
        assertThat(hub.requests("hub", "GET", "/lfs-store/")).singleElement()
                .satisfies(s -> assertThat(s.authorization()).as("dropped for good once a redirect left").isNull());
        assertThat(hub.requests("hub", "HEAD", "/resolve/"))
                .allSatisfy(s -> assertThat(s.authorization()).isEqualTo("Bearer hf_test_token"));
    }

    @Test
    void aChatTemplateJinjaIsDownloadedWithTheModel() throws IOException {
        String template = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
        hub.overrideFile("chat_template.jinja", template);

        Path snapshot = download(MAIN);

        assertThat(Files.readString(snapshot.resolve("chat_template.jinja"))).isEqualTo(template);
    }

    @Test
    void twoClientsDownloadingTheSameRepoAtOnceEndWithOneCorrectCopy() throws Exception {
        hub.slowCdn(2);
        try (ExecutorService pool = Executors.newFixedThreadPool(2);
             HubClient first = client(); HubClient second = client()) {
            Callable<Path> a = () -> first.download(MAIN);
            Callable<Path> b = () -> second.download(MAIN);
            List<Future<Path>> results = pool.invokeAll(List.of(a, b));

            assertThat(results.get(0).get()).isEqualTo(results.get(1).get());
        }
        String weights = FakeHub.sha256(bytes(fixture("main", "model.safetensors")));
        assertThat(hub.requests("cdn", "GET", weights)).as("the weights came from the CDN once").hasSize(1);
        assertThat(CacheTree.listing(repoFolder().resolve("blobs"))).hasSize(7);
        CacheTree.assertOnlyVerifiedFiles(cache);
    }

    @Test
    void listFilesAndResolveCommitAnswerFromTheApi() {
        try (HubClient client = client()) {
            assertThat(client.resolveCommit(MAIN.withRevision("sharded-4bit-32g")))
                    .isEqualTo(FakeHub.commitOf(REPO, "sharded-4bit-32g"));
            assertThat(client.listFiles(MAIN)).contains("config.json", "model.safetensors", "tokenizer.model")
                    .hasSize(7);
        }
    }

    @Test
    void listRefsGivesEveryBranchWithItsCommit() throws IOException {
        List<String> folders;
        try (var branches = Files.list(Fixtures.root().resolve(Fixtures.TINY))) {
            folders = branches.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (HubClient client = client()) {
            RepoRefs refs = client.listRefs(REPO);
            assertThat(refs.branchNames()).contains("main", "sharded-4bit-32g").containsExactlyElementsOf(folders);
            assertThat(refs.branches()).contains(new RepoRefs.Ref("main", FakeHub.commitOf(REPO, "main")));
            assertThat(refs.tags()).isEmpty();
        }
        assertThat(hub.requests("hub", "GET", "/api/models/" + REPO + "/refs")).hasSize(1);
    }

    @Test
    void listRefsNeedsTheHub() {
        try (HubClient client = client(c -> c.offline(true))) {
            HubException e = catchThrowableOfType(HubException.class, () -> client.listRefs(REPO));
            assertThat(e.kind()).isEqualTo(HubException.Kind.OFFLINE_MISSING);
        }
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void progressIsReportedUpToTheFileSize() {
        var events = new java.util.concurrent.CopyOnWriteArrayList<DownloadProgress>();
        var ready = new java.util.concurrent.CopyOnWriteArrayList<String>();
        try (HubClient client = client()) {
            client.download(MAIN, new DownloadListener() {
                @Override
                public void progress(DownloadProgress progress) {
                    events.add(progress);
                }

                @Override
                public void fileReady(String file, Path path, boolean downloaded) {
                    ready.add(file);
                }
            });
        }
        long size = bytes(fixture("main", "model.safetensors")).length;
        List<DownloadProgress> weights = events.stream().filter(e -> e.file().equals("model.safetensors")).toList();
        assertThat(weights).isNotEmpty().allSatisfy(e -> assertThat(e.totalBytes()).isEqualTo(size));
        assertThat(weights.getLast().bytesDone()).isEqualTo(size);
        assertThat(weights).extracting(DownloadProgress::bytesDone).isSorted();
        assertThat(ready).startsWith("config.json").endsWith("model.safetensors").hasSize(7);
    }
}
