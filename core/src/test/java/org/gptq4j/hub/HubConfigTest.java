package org.gptq4j.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HubConfigTest {
    @TempDir
    Path home;

    @Test
    void defaultsFollowHfHome() {
        HubConfig config = HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString()));

        assertThat(config.cacheDir()).isEqualTo(home.resolve("hub"));
        assertThat(config.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(config.offline()).isFalse();
        assertThat(config.hasToken()).isFalse();
    }

    @Test
    void hubCacheOverridesHfHomeAndXdgIsTheFallback() {
        assertThat(HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_CACHE",
                home.resolve("elsewhere").toString())).cacheDir()).isEqualTo(home.resolve("elsewhere"));
        assertThat(HubConfig.fromEnvironment(Map.of("XDG_CACHE_HOME", home.toString())).cacheDir())
                .isEqualTo(home.resolve("huggingface/hub"));
    }

    @Test
    void endpointComesFromHfEndpointWithoutTrailingSlash() {
        HubConfig config = HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(),
                "HF_ENDPOINT", "http://127.0.0.1:8080/"));
        assertThat(config.endpoint()).isEqualTo(URI.create("http://127.0.0.1:8080"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "ON", "yes", "True"})
    void offlineModeAcceptsHuggingfaceHubsTrueValues(String value) {
        assertThat(HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_OFFLINE", value)).offline())
                .isTrue();
    }

    @Test
    void offlineIsOffForOtherValues() {
        assertThat(HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_OFFLINE", "0")).offline())
                .isFalse();
    }

    @Test
    void tokenComesFromHfTokenThenTheTokenFile() throws IOException {
        Files.writeString(home.resolve("token"), "hf_from_file\n");

        assertThat(HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString())).token()).isEqualTo("hf_from_file");
        assertThat(HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_env")).token())
                .isEqualTo("hf_env");
        Path custom = Files.writeString(home.resolve("custom"), "hf_custom");
        assertThat(HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN_PATH", custom.toString()))
                .token()).isEqualTo("hf_custom");
    }

    @Test
    void timeoutsAndLimitsDefaultAsHuggingfaceHubs() {
        HubConfig config = HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString()));

        assertThat(config.metadataTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.downloadTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.minTransferRate()).isEqualTo(1024);
        assertThat(config.transferRateWindow()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.maxApiResponseBytes()).isEqualTo(8L << 20);
        assertThat(config.maxGitFileBytes()).isEqualTo(64L << 20);
    }

    @Test
    void timeoutsComeFromHfHubEtagTimeoutAndHfHubDownloadTimeout() {
        HubConfig config = HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(),
                "HF_HUB_ETAG_TIMEOUT", "3", "HF_HUB_DOWNLOAD_TIMEOUT", "2.5"));

        assertThat(config.metadataTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.downloadTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(config.toBuilder().build()).isEqualTo(config);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "soon", "1e12"})
    void aTimeoutVariableThatIsNoPositiveNumberOfSecondsIsAnError(String value) {
        assertThatThrownBy(() -> HubConfig.fromEnvironment(Map.of("HF_HOME", home.toString(),
                "HF_HUB_DOWNLOAD_TIMEOUT", value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HF_HUB_DOWNLOAD_TIMEOUT").hasMessageContaining(value);
    }

    @Test
    void limitsMustBePositive() {
        assertThatThrownBy(() -> HubConfig.builder().downloadTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("downloadTimeout");
        assertThatThrownBy(() -> HubConfig.builder().maxGitFileBytes(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxGitFileBytes");
        assertThatThrownBy(() -> HubConfig.builder().minTransferRate(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minTransferRate");
    }

    @Test
    void toStringNeverShowsTheToken() {
        HubConfig config = HubConfig.builder().token("hf_very_secret").build();
        assertThat(config.toString()).doesNotContain("hf_very_secret").contains("token=<redacted>");
        assertThat(config.toBuilder().build().token()).isEqualTo("hf_very_secret");
    }
}
