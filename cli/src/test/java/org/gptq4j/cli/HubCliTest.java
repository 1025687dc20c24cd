package org.gptq4j.cli;

import org.gptq4j.hub.FakeHub;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --model org/name:branch} and {@code download} against a Hub on loopback. */
class HubCliTest {
    @AfterEach
    void restoreEnvironment() {
        ModelLocation.environment = System.getenv();
    }

    @Test
    void downloadsABranchIntoTheCacheThenGeneratesFromIt(@TempDir Path home) {
        try (FakeHub hub = new FakeHub().serve("TheBloke/stories260K-GPTQ", Fixtures.root().resolve(Fixtures.STORIES))) {
            ModelLocation.environment = Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", hub.endpoint().toString());
            var download = Gptq4jCliTest.run("download", "--model", "TheBloke/stories260K-GPTQ:main");
            assertThat(download.exitCode()).as(download.err()).isZero();
            Path snapshot = Path.of(download.out().strip());
            assertThat(snapshot).startsWith(home.resolve("hub/models--TheBloke--stories260K-GPTQ/snapshots"));
            assertThat(Files.exists(snapshot.resolve("model.safetensors"))).isTrue();
            assertThat(download.err()).contains("model.safetensors");

            // Offline now: the cached branch serves generation without any request.
            int before = hub.requests().size();
            ModelLocation.environment = Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", hub.endpoint().toString(), "HF_HUB_OFFLINE", "1");
            var generate = Gptq4jCliTest.run("generate", "--model", "TheBloke/stories260K-GPTQ", "--revision", "main",
                    "--max-new-tokens", "8", "--temperature", "0");
            assertThat(generate.exitCode()).as(generate.err()).isZero();
            assertThat(generate.out()).startsWith("Once upon a time");
            assertThat(hub.requests()).hasSize(before);
        }
    }

    @Test
    void aNameThatIsNeitherAFolderNorARepoIsRefused() {
        var run = Gptq4jCliTest.run("generate", "--model", "../no/such/../place", "--max-new-tokens", "2");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("does not exist").contains("not a Hub repo id");
    }
}
