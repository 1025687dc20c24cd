package org.gptq4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.gptq4j.hub.DownloadListener;
import org.gptq4j.hub.HubClient;
import org.gptq4j.hub.HubConfig;
import org.gptq4j.hub.HubException;
import org.gptq4j.hub.ModelRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Repository ids, revisions and file names that reach the Hub client: {@link ModelRef#parse(String, String)} accepts
 * or refuses with an {@link IllegalArgumentException}; an accepted reference names one cache folder; and an offline
 * client asked for a file ({@link HubClient#downloadFile}) or a snapshot ({@link HubClient#download}) either refuses
 * ({@link HubException}, {@link IllegalArgumentException}) or returns a path inside the cache, never one outside it.
 * The cache holds one complete snapshot of {@code org/model} at {@code main}, and {@code secret.txt} lies beside the
 * cache, where a traversal would land.
 * <p>Input layout: UTF-8 lines {@code spec}, {@code revision} (empty: none), {@code file}.
 */
class HubPathFuzzTest {
    private static final Path ROOT = Fuzz.folder("hub");
    private static final Path CACHE = ROOT.resolve("cache");
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final HubClient CLIENT;

    static {
        try {
            Path repo = Files.createDirectories(CACHE.resolve("models--org--model"));
            Files.createDirectories(repo.resolve("refs"));
            Files.writeString(repo.resolve("refs/main"), COMMIT);
            Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
            Files.writeString(snapshot.resolve("config.json"), "{}");
            Files.writeString(ROOT.resolve("secret.txt"), "outside the cache");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CLIENT = new HubClient(HubConfig.builder().endpoint("http://127.0.0.1:9").cacheDir(CACHE).offline(true).build());
    }

    @FuzzTest(maxDuration = "20s")
    void noAcceptedNameLeavesTheCache(byte[] input) {
        String[] lines = new String(input, StandardCharsets.UTF_8).split("\n", 3);
        String spec = lines[0], revision = lines.length > 1 ? lines[1] : null, file = lines.length > 2 ? lines[2] : "config.json";
        ModelRef ref;
        try {
            ref = ModelRef.parse(spec, revision);
        } catch (IllegalArgumentException refused) {
            return;
        }
        assertThat(CACHE.resolve(ref.cacheFolderName()).normalize().getParent()).isEqualTo(CACHE.normalize());
        Fuzz.expectOnly(() -> assertInsideCache(CLIENT.downloadFile(ref, file, DownloadListener.NONE)),
                HubException.class, IllegalArgumentException.class);
        Fuzz.expectOnly(() -> assertInsideCache(CLIENT.download(ref)), HubException.class, IllegalArgumentException.class);
    }

    private static void assertInsideCache(Path path) {
        assertThat(path.toAbsolutePath().normalize()).startsWith(CACHE.toAbsolutePath().normalize());
    }
}
