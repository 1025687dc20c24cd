package org.gptq4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.gptq4j.spring.actuate.GptqHealthAutoConfiguration;
import org.gptq4j.spring.actuate.GptqMetricsAutoConfiguration;
import org.gptq4j.spring.actuate.GptqHealthIndicator;
import org.gptq4j.spring.actuate.GptqMetrics;
import org.gptq4j.spring.openai.GptqOpenAiServerAutoConfiguration;
import org.gptq4j.spring.openai.OpenAiChatController;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** When the health indicator, the meters and the OpenAI endpoint exist, and what health says before and after loading. */
class GptqActuatorAndServerConditionsTest {
    private static final AutoConfigurations ALL = AutoConfigurations.of(GptqAutoConfiguration.class,
            GptqHealthAutoConfiguration.class, GptqMetricsAutoConfiguration.class, GptqOpenAiServerAutoConfiguration.class);
    private static final String[] BASE = {"langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=1MB"};

    private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(ALL)
            .withPropertyValues(BASE);

    @Test
    void lazyModelIsUpButNotLoadedAndHealthNeverLoadsIt() {
        web.withPropertyValues(GptqAutoConfigurationTest.MODEL_PATH, "langchain4j.gptq.loading=lazy").run(context -> {
            Health health = context.getBean(GptqHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("loaded", false);
            assertThat(context.getBean(GptqModelLoader.class).loadedEngine()).isEmpty();
            context.getBean(GptqModelLoader.class).engine();
            assertThat(context.getBean(GptqHealthIndicator.class).health().getDetails()).containsEntry("loaded", true)
                    .containsEntry("kvBlocksUsed", 0).containsEntry("queueDepth", 0).containsKey("kvCacheUsage");
        });
    }

    @Test
    void anEngineWhoseLoopStoppedIsDown() {
        web.withPropertyValues(GptqAutoConfigurationTest.MODEL_PATH).run(context -> {
            GptqHealthIndicator indicator = context.getBean(GptqHealthIndicator.class);
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
            context.getBean(org.gptq4j.engine.Engine.class).close();
            Health health = indicator.health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("loaded", true).containsKey("reason");
        });
    }

    @Test
    void aLazyModelThatFailsToLoadIsDown() {
        web.withPropertyValues("langchain4j.gptq.chat-model.model-path=/no/such/model", "langchain4j.gptq.loading=lazy")
                .run(context -> {
                    GptqModelLoader loader = context.getBean(GptqModelLoader.class);
                    try {
                        loader.engine();
                    } catch (GptqPropertyException expected) {
                        // the health indicator reports it
                    }
                    Health health = context.getBean(GptqHealthIndicator.class).health();
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat(health.getDetails().get("error").toString()).contains("model-path");
                });
    }

    @Test
    void theServerIsOffByDefaultAndOnlyInServletApplications() {
        web.withPropertyValues(GptqAutoConfigurationTest.MODEL_PATH, "langchain4j.gptq.loading=lazy").run(context -> assertThat(context)
                .hasNotFailed().doesNotHaveBean(OpenAiChatController.class).hasSingleBean(GptqMetrics.class));
        web.withPropertyValues(GptqAutoConfigurationTest.MODEL_PATH, "langchain4j.gptq.loading=lazy",
                "langchain4j.gptq.server.enabled=true").run(context -> {
            assertThat(context).hasSingleBean(OpenAiChatController.class);
            assertThat(context.getBean(GptqModelLoader.class).loadedEngine()).as("the endpoint does not load the model").isEmpty();
        });
        new ApplicationContextRunner().withConfiguration(ALL).withPropertyValues(BASE)
                .withPropertyValues(GptqAutoConfigurationTest.MODEL_PATH, "langchain4j.gptq.loading=lazy",
                        "langchain4j.gptq.server.enabled=true")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(OpenAiChatController.class));
    }

    @Test
    void withoutAModelThereIsNoHealthIndicatorMetricsOrEndpoint() {
        web.withPropertyValues("langchain4j.gptq.server.enabled=true").run(context -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(GptqHealthIndicator.class).doesNotHaveBean(GptqMetrics.class)
                .doesNotHaveBean(OpenAiChatController.class));
    }

    @Test
    void healthAndMetricsBackOffWithoutActuatorAndMicrometer() {
        web.withPropertyValues(GptqAutoConfigurationTest.MODEL_PATH, "langchain4j.gptq.loading=lazy")
                .withClassLoader(new FilteredClassLoader("org.springframework.boot.health", "io.micrometer.core"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(GptqHealthIndicator.class)
                        .doesNotHaveBean(GptqMetrics.class));
        web.withPropertyValues(GptqAutoConfigurationTest.MODEL_PATH, "langchain4j.gptq.loading=lazy",
                "management.health.gptq.enabled=false").run(context -> assertThat(context)
                .doesNotHaveBean(GptqHealthIndicator.class));
    }

    /**
     * API keys switch on the key filter; without them the API is open, which is worth a warning unless the server is
     * bound to loopback. Bad server properties fail startup naming the property.
     */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void anOpenApiIsWarnedAboutUnlessOnLoopbackAndKeysSwitchOnTheKeyFilter(CapturedOutput output) {
        String[] server = {GptqAutoConfigurationTest.MODEL_PATH, "langchain4j.gptq.loading=lazy", "langchain4j.gptq.server.enabled=true"};
        String warning = "has no API keys";
        web.withPropertyValues(server).withPropertyValues("server.address=127.0.0.1").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean("gptqApiKeyFilter").hasBean("gptqRequestSizeLimitFilter");
            assertThat(output.getAll()).doesNotContain(warning);
        });
        web.withPropertyValues(server).withPropertyValues("langchain4j.gptq.server.api-keys=k1,k2").run(context -> {
            assertThat(context).hasNotFailed().hasBean("gptqApiKeyFilter");
            assertThat(output.getAll()).doesNotContain(warning);
        });
        web.withPropertyValues(server).withPropertyValues("server.address=0.0.0.0").run(context ->
                assertThat(output.getAll()).contains(warning, "0.0.0.0"));
        web.withPropertyValues(server).withPropertyValues("langchain4j.gptq.server.max-tokens=0").run(context ->
                assertThat(context).hasFailed().getFailure().rootCause().isInstanceOf(GptqPropertyException.class)
                        .hasMessageContaining("langchain4j.gptq.server.max-tokens"));
        web.withPropertyValues(server).withPropertyValues("langchain4j.gptq.server.api-keys[0]= ").run(context ->
                assertThat(context).hasFailed().getFailure().rootCause().hasMessageContaining("api-keys"));
    }
}
