package org.gptq4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EtagTest {
    @TempDir
    Path dir;

    @Test
    void parsesQuotedAndWeakEtagsAsHuggingfaceHubNormalisesThem() {
        String sha = "a".repeat(64);
        assertThat(Etag.parse("W/\"" + sha.toUpperCase() + "\"").value()).isEqualTo(sha);
        assertThat(Etag.parse("\"" + "b".repeat(40) + "\"").isLfs()).isFalse();
    }

    @Test
    void refusesEtagsThatAreNotHashes() {
        assertThatThrownBy(() -> Etag.parse("\"../../evil\"")).isInstanceOf(HubException.class);
    }

    @Test
    void verifiesGitBlobSha1AndSha256() throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "hello\n");
        // `git hash-object` and `sha256sum` of "hello\n"
        assertThat(Etag.parse("ce013625030ba8dba906f756967f9e9ca394464a").matches(file)).isTrue();
        assertThat(Etag.parse("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03").matches(file))
                .isTrue();
        assertThat(Etag.parse("0".repeat(64)).matches(file)).isFalse();
    }
}
