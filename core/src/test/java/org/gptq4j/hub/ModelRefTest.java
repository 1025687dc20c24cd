package org.gptq4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRefTest {

    @Test
    void parsesRepoAndBranchAsTextGenerationWebuiWritesThem() {
        ModelRef ref = ModelRef.parse("TheBloke/firefly-llama2-7B-chat-GPTQ:gptq-4bit-32g-actorder_True");

        assertThat(ref.repoId()).isEqualTo("TheBloke/firefly-llama2-7B-chat-GPTQ");
        assertThat(ref.revision()).isEqualTo("gptq-4bit-32g-actorder_True");
        assertThat(ref.cacheFolderName()).isEqualTo("models--TheBloke--firefly-llama2-7B-chat-GPTQ");
        assertThat(ref.isCommitHash()).isFalse();
    }

    @Test
    void revisionDefaultsToMainAndMayContainSlashesOrBeACommit() {
        assertThat(ModelRef.parse("org/name").revision()).isEqualTo("main");
        assertThat(ModelRef.parse("org/name:refs/pr/1").revision()).isEqualTo("refs/pr/1");
        assertThat(ModelRef.parse("org/name:0123456789abcdef0123456789abcdef01234567").isCommitHash()).isTrue();
    }

    @Test
    void commandLineRevisionOptionCombinesWithTheModelSpec() {
        assertThat(ModelRef.parse("org/name", "v2").revision()).isEqualTo("v2");
        assertThat(ModelRef.parse("org/name:v2", "v2").revision()).isEqualTo("v2");
        assertThat(ModelRef.parse("org/name:v2", null).revision()).isEqualTo("v2");
        assertThatThrownBy(() -> ModelRef.parse("org/name:v1", "v2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("give one of them");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "name-only", "a/b/c", "../etc", "org/..", "org/a..b", "org/a--b", "-org/name",
            "org/name-", "org/.hidden", "org/na me", "org/name.git", "/org/name", "org/name/", "org\\name"})
    void refusesInvalidRepoIds(String repoId) {
        assertThatThrownBy(() -> ModelRef.of(repoId)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("repository id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc", "a/../b", "/abs", "trailing/", "a//b", "a\\b", "has space", "x.lock",
            "a\u0000b", "a:b"})
    void refusesRevisionsThatAreNotGitRefsOrWouldEscapeRefs(String revision) {
        assertThatThrownBy(() -> ModelRef.of("org/name").withRevision(revision))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("revision");
    }

    @Test
    void aSnapshotFolderOfTheHubCacheNamesItsRepository() {
        java.nio.file.Path cache = java.nio.file.Path.of("/cache/hub");
        org.assertj.core.api.Assertions.assertThat(ModelRef.repoIdOfSnapshot(cache.resolve(
                "models--TheBloke--firefly-llama2-7B-chat-GPTQ/snapshots/0123456789abcdef0123456789abcdef01234567")))
                .hasValue("TheBloke/firefly-llama2-7B-chat-GPTQ");
        org.assertj.core.api.Assertions.assertThat(ModelRef.repoIdOfSnapshot(cache.resolve("models--a--b--c/snapshots/x")))
                .hasValue("a/b--c");
        org.assertj.core.api.Assertions.assertThat(ModelRef.repoIdOfSnapshot(java.nio.file.Path.of("/models/firefly")))
                .isEmpty();
        org.assertj.core.api.Assertions.assertThat(ModelRef.repoIdOfSnapshot(cache.resolve("other/snapshots/x"))).isEmpty();
        org.assertj.core.api.Assertions.assertThat(ModelRef.repoIdOfSnapshot(java.nio.file.Path.of("/"))).isEmpty();
    }
}
