package org.gptq4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RepoPathTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "..", "../x", "a/../../x", "/etc/passwd", "a\\..\\x", "C:/x", "a//b", "./a", "a/",
            "a\nb"})
    void refusesNamesThatCouldEscape(String name) {
        assertThatThrownBy(() -> RepoPath.resolveInside(Path.of("/cache/snap"), name, "the Hub"))
                .isInstanceOfSatisfying(HubException.class,
                        e -> assertThat(e.kind()).isEqualTo(HubException.Kind.INVALID_INPUT))
                .hasMessageContaining("from the Hub");
    }

    @Test
    void acceptsNestedRepositoryPaths() {
        assertThat(RepoPath.resolveInside(Path.of("/cache/snap"), "sub/dir/model..v2.safetensors", "x"))
                .isEqualTo(Path.of("/cache/snap/sub/dir/model..v2.safetensors"));
    }

    @Test
    void urlsEncodeTheRevisionAsOneSegmentAndKeepFileSlashes() {
        HubUrls urls = new HubUrls(java.net.URI.create("https://hub.example"));
        ModelRef ref = ModelRef.parse("org/name:refs/pr/1");

        assertThat(urls.revisionInfo(ref)).hasToString("https://hub.example/api/models/org/name/revision/refs%2Fpr%2F1");
        assertThat(urls.resolve(ref, "sub dir/ü.json"))
                .hasToString("https://hub.example/org/name/resolve/refs%2Fpr%2F1/sub%20dir/%C3%BC.json");
    }
}
