package org.gptq4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.gptq4j.engine.Engine;
import org.gptq4j.hub.FakeHub;
import org.gptq4j.hub.HubClient;
import org.gptq4j.hub.HubConfig;
import org.gptq4j.hub.HubException;
import org.gptq4j.hub.ModelRef;
import org.gptq4j.hub.RetryPolicy;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * Hub resolution through a loopback Hub, and the startup failures a person can fix: each names the property, its
 * value and what is allowed.
 */
@ExtendWith(OutputCaptureExtension.class)
class GptqFailureAnalysisTest {
    static final String REPO = "TheBloke/stories260K-GPTQ";
    static FakeHub hub;

    @TempDir
    Path cache;

    @BeforeAll
    static void startHub() {
        hub = new FakeHub().serve(REPO, Fixtures.root().resolve(Fixtures.STORIES));
    }

    @AfterAll
    static void stopHub() {
        hub.close();
    }

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(GptqAutoConfiguration.class))
                .withPropertyValues("langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=1MB",
                        "langchain4j.gptq.hub.endpoint=" + hub.endpoint(), "langchain4j.gptq.hub.cache-dir=" + cache,
                        "langchain4j.gptq.hub.offline=false", "langchain4j.gptq.hub.token=test-token");
    }

    private FailureAnalysis failure(String... properties) {
        FailureAnalysis[] analysis = new FailureAnalysis[1];
        runner().withPropertyValues(properties).run(context -> {
            assertThat(context).hasFailed();
            analysis[0] = new GptqFailureAnalyzer().analyze(context.getStartupFailure());
        });
        assertThat(analysis[0]).as("a gptq4j failure analysis").isNotNull();
        return analysis[0];
    }

    @Test
    void downloadsTheRepoFromTheHubAtStartupWithProgressInTheLog(CapturedOutput output) {
        runner().withPropertyValues("langchain4j.gptq.chat-model.repo=" + REPO,
                "langchain4j.gptq.chat-model.branch=gptq-8bit--1g-actorder_True").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(GptqModelLoader.class).modelFolder()).hasValueSatisfying(folder -> assertThat(folder)
                    .startsWith(cache.resolve("models--TheBloke--stories260K-GPTQ").resolve("snapshots")));
            assertThat(context.getBean(Engine.class).modelConfig().numLayers()).isEqualTo(5);
        });
        assertThat(output).contains("Resolving " + REPO + ":gptq-8bit--1g-actorder_True from " + hub.endpoint())
                .contains("Downloading model.safetensors").contains("model.safetensors downloaded")
                .contains("Loaded " + REPO + ":gptq-8bit--1g-actorder_True");
    }

    @Test
    void unknownBranchNamesTheBranchPropertyAndTheCachedBranches() {
        runner().withPropertyValues("langchain4j.gptq.chat-model.repo=" + REPO).run(context -> assertThat(context).hasNotFailed());
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.repo=" + REPO,
                "langchain4j.gptq.chat-model.branch=gptq-5bit");
        assertThat(analysis.getDescription()).contains("'langchain4j.gptq.chat-model.branch'", "'gptq-5bit'",
                "not found");
        assertThat(analysis.getAction()).contains("a branch, tag or commit of " + REPO,
                "the Hub lists branches fp16, gptq-8bit--1g-actorder_True, main", "has main");
    }

    @Test
    void unknownBranchNamesTheCachedBranchesWhenTheHubCannotListItsBranches() throws IOException {
        Path refs = Files.createDirectories(cache.resolve("models--TheBloke--stories260K-GPTQ").resolve("refs"));
        Files.writeString(refs.resolve("main"), "0123456789abcdef0123456789abcdef01234567");
        HubConfig unreachable = HubConfig.builder().endpoint("http://127.0.0.1:1").cacheDir(cache)
                .retry(new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(1))).build();
        GptqPropertyException e;
        try (HubClient hubClient = new HubClient(unreachable)) {
            e = HubFailures.toPropertyException(new HubException(HubException.Missing.REVISION,
                    "revision 'gptq-5bit' not found"), ModelRef.parse(REPO + ":gptq-5bit"), hubClient);
        }
        assertThat(e.property()).isEqualTo(GptqChatModelProperties.BRANCH);
        assertThat(e.allowed()).contains("the Hub's branch list could not be read", "has main")
                .doesNotContain("the Hub lists");
    }

    @Test
    void aMissingFileIsNotBlamedOnTheBranch() {
        GptqPropertyException e;
        try (HubClient hubClient = new HubClient(HubConfig.builder().endpoint(hub.endpoint()).cacheDir(cache).build())) {
            e = HubFailures.toPropertyException(new HubException(HubException.Missing.FILE,
                    "revision main of " + REPO + " has no config.json"), ModelRef.parse(REPO), hubClient);
        }
        assertThat(e.property()).as("the message starts with 'revision', the Hub said FILE")
                .isEqualTo(GptqChatModelProperties.REPO);
    }

    @Test
    void unknownRepoNamesTheRepoProperty() {
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.repo=TheBloke/nothing-here");
        assertThat(analysis.getDescription()).contains("'langchain4j.gptq.chat-model.repo'", "'TheBloke/nothing-here'",
                "not found");
    }

    @Test
    void offlineWithAnEmptyCacheNamesTheOfflineProperty() {
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.repo=" + REPO, "langchain4j.gptq.hub.offline=true");
        assertThat(analysis.getDescription()).contains("'langchain4j.gptq.hub.offline'", "'true'");
        assertThat(analysis.getAction()).contains("false, to download " + REPO + ":main", "none is in the cache");
    }

    @Test
    void missingModelFolderNamesTheModelPathProperty() {
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.model-path=/no/such/model");
        assertThat(analysis.getDescription()).contains("'langchain4j.gptq.chat-model.model-path'", "does not exist");
        assertThat(analysis.getAction()).contains("config.json");
    }

    @Test
    void badTemperatureNamesThePropertyAndTheRange() {
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.model-path=/any", "langchain4j.gptq.chat-model.temperature=-0.5");
        assertThat(analysis.getDescription()).contains("'langchain4j.gptq.chat-model.temperature'", "'-0.5'");
        assertThat(analysis.getAction()).contains("Allowed: >= 0 (0 means greedy)");
    }

    @Test
    void outOfRangeValuesAreRefusedWhenBoundEvenWithoutAModel() {
        assertThat(failure("langchain4j.gptq.chat-model.top-p=1.5").getDescription())
                .contains("'langchain4j.gptq.chat-model.top-p'");
        assertThat(failure("langchain4j.gptq.max-queued-requests=-1").getDescription())
                .contains("'langchain4j.gptq.max-queued-requests'");
        assertThat(failure("langchain4j.gptq.max-total-tokens=100", "langchain4j.gptq.max-input-length=100")
                .getDescription()).contains("'langchain4j.gptq.max-input-length'");
        assertThat(failure("langchain4j.gptq.chat-model.branch=a..b", "langchain4j.gptq.chat-model.repo=" + REPO)
                .getDescription()).contains("'langchain4j.gptq.chat-model.branch'");
    }

    @Test
    void unknownChatTemplateListsTheBuiltInOnes() {
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.chat-template=alpaca");
        assertThat(analysis.getAction()).contains("llama2", "firefly", "chatml", "raw");
    }

    @Test
    void repoAndModelPathTogetherAreAmbiguous() {
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.repo=" + REPO,
                "langchain4j.gptq.chat-model.model-path=/models/x");
        assertThat(analysis.getAction()).contains("exactly one of langchain4j.gptq.chat-model.repo");
    }

    @Test
    void totalTokensBeyondTheModelsContextNamesTheLimit() {
        FailureAnalysis analysis = failure("langchain4j.gptq.chat-model.model-path="
                + Fixtures.model(Fixtures.STORIES, "main"), "langchain4j.gptq.max-total-tokens=4096");
        assertThat(analysis.getDescription()).contains("'langchain4j.gptq.max-total-tokens'", "512 positions");
        assertThat(analysis.getAction()).contains("1 to 512");
    }

    @Test
    void theAnalyzerIsRegisteredAheadOfSpringBootsGenericBindAnalysis() {
        List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
                .load(FailureAnalyzer.class, SpringFactoriesLoader.ArgumentResolver.none(), (type, name, e) -> {});
        assertThat(analyzers).isNotEmpty();
        assertThat(analyzers.getFirst()).isInstanceOf(GptqFailureAnalyzer.class);
    }
}
