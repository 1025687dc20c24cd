package org.gptq4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.ChatModel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.gptq4j.engine.EngineMetricsListener;
import org.gptq4j.spring.actuate.GptqHealthAutoConfiguration;
import org.gptq4j.spring.actuate.GptqHealthIndicator;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.application.AvailabilityHealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

/**
 * Health tells whether the model can generate (OUT_OF_SERVICE while loading, DOWN when generation cannot work), and
 * the {@code gptq} indicator sits in Spring Boot's readiness probe, and in liveness when the model loads eagerly.
 */
class GptqHealthProbesTest {
    private static final String PROBES = "management.endpoint.health.probes.enabled=true";

    /** What SpringApplication publishes once started; a context runner does not. */
    private static void started(ApplicationContext context) {
        AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
        AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(GptqAutoConfiguration.class, GptqHealthAutoConfiguration.class,
                    ApplicationAvailabilityAutoConfiguration.class, HealthContributorAutoConfiguration.class,
                    HealthContributorRegistryAutoConfiguration.class, AvailabilityHealthContributorAutoConfiguration.class,
                    AvailabilityProbesAutoConfiguration.class, HealthEndpointAutoConfiguration.class))
            .withPropertyValues("langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=1MB",
                    "langchain4j.gptq.chat-model.max-new-tokens=4", GptqAutoConfigurationTest.MODEL_PATH);

    /** Holds the load open: the loader asks for the engine's metrics listeners while it loads. */
    @Configuration(proxyBeanMethods = false)
    static class SlowLoad {
        static final CountDownLatch LOADING = new CountDownLatch(1), RELEASE = new CountDownLatch(1);

        @Bean
        @Lazy
        EngineMetricsListener heldLoad() throws InterruptedException {
            LOADING.countDown();
            assertThat(RELEASE.await(60, TimeUnit.SECONDS)).as("released by the test").isTrue();
            return new EngineMetricsListener() {};
        }
    }

    @Test
    void aModelBeingLoadedIsOutOfServiceAndItsReadinessProbeFails() {
        runner.withUserConfiguration(SlowLoad.class).withPropertyValues("langchain4j.gptq.loading=lazy", PROBES)
                .run(context -> {
                    started(context);
                    GptqModelLoader loader = context.getBean(GptqModelLoader.class);
                    HealthEndpoint endpoint = context.getBean(HealthEndpoint.class);
                    assertThat(endpoint.healthForPath("readiness").getStatus()).as("lazy, not yet asked").isEqualTo(Status.UP);
                    Thread load = Thread.ofPlatform().start(loader::engine);
                    try {
                        assertThat(SlowLoad.LOADING.await(60, TimeUnit.SECONDS)).isTrue();
                        Health health = context.getBean(GptqHealthIndicator.class).health();
                        assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
                        assertThat(health.getDetails()).containsEntry("loading", true).containsEntry("loaded", false);
                        assertThat(endpoint.healthForPath("readiness").getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
                        assertThat(endpoint.healthForPath("liveness").getStatus()).as("loading is alive")
                                .isEqualTo(Status.UP);
                    } finally {
                        SlowLoad.RELEASE.countDown();
                        load.join();
                    }
                    assertThat(context.getBean(GptqHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
                    assertThat(endpoint.healthForPath("readiness").getStatus()).isEqualTo(Status.UP);
                });
    }

    @Test
    void generationThatFailsForWantOfAClassIsDownUntilARequestCompletes() {
        runner.withPropertyValues(PROBES).run(context -> {
            started(context);
            GptqHealthIndicator indicator = context.getBean(GptqHealthIndicator.class);
            HealthEndpoint endpoint = context.getBean(HealthEndpoint.class);
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
            indicator.onRequestFailed(new IllegalStateException("a request's own problem"));
            assertThat(indicator.health().getStatus()).as("one bad request says nothing of the others").isEqualTo(Status.UP);

            // What a JVM without jdk.incubator.vector gave every request before the engine checked for it at build.
            indicator.onRequestFailed(new RuntimeException("generation failed",
                    new NoClassDefFoundError("jdk/incubator/vector/FloatVector")));
            Health down = indicator.health();
            assertThat(down.getStatus()).isEqualTo(Status.DOWN);
            assertThat(down.getDetails().get("reason").toString()).contains("cannot run the kernels", "FloatVector");
            assertThat(endpoint.healthForPath("readiness").getStatus()).isEqualTo(Status.DOWN);
            assertThat(endpoint.healthForPath("liveness").getStatus()).isEqualTo(Status.DOWN);

            // The indicator is one of the engine's listeners: a real answer clears it.
            assertThat(context.getBean(ChatModel.class).chat("Once upon")).isNotNull();
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
            assertThat(endpoint.healthForPath("liveness").getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void anEngineWhoseLoopStoppedFailsBothProbes() {
        runner.withPropertyValues(PROBES).run(context -> {
            started(context);
            HealthEndpoint endpoint = context.getBean(HealthEndpoint.class);
            assertThat(endpoint.healthForPath("readiness").getStatus()).isEqualTo(Status.UP);
            context.getBean(org.gptq4j.engine.Engine.class).close();
            assertThat(endpoint.healthForPath("readiness").getStatus()).isEqualTo(Status.DOWN);
            assertThat(endpoint.healthForPath("liveness").getStatus()).isEqualTo(Status.DOWN);
            assertThat(endpoint.healthForPath("gptq").getStatus()).isEqualTo(Status.DOWN);
        });
    }

    @Test
    void gptqJoinsReadinessAlwaysAndLivenessOnlyWhenLoadingEagerly() {
        runner.withPropertyValues(PROBES).run(context -> {
            HealthEndpointGroups groups = context.getBean(HealthEndpointGroups.class);
            assertThat(groups.get("readiness").isMember("gptq")).isTrue();
            assertThat(groups.get("readiness").isMember("readinessState")).isTrue();
            assertThat(groups.get("liveness").isMember("gptq")).isTrue();
            assertThat(groups.get("liveness").isMember("livenessState")).isTrue();
        });
        runner.withPropertyValues(PROBES, "langchain4j.gptq.loading=lazy").run(context -> {
            HealthEndpointGroups groups = context.getBean(HealthEndpointGroups.class);
            assertThat(groups.get("readiness").isMember("gptq")).isTrue();
            assertThat(groups.get("liveness").isMember("gptq")).as("a slow or failed download must not kill the process")
                    .isFalse();
        });
    }

    @Test
    void probeGroupsTheApplicationConfiguresAndDisabledIndicatorsAreLeftAlone() {
        runner.withPropertyValues(PROBES, "management.endpoint.health.group.readiness.include=readinessState")
                .run(context -> {
                    HealthEndpointGroups groups = context.getBean(HealthEndpointGroups.class);
                    assertThat(groups.get("readiness").isMember("gptq")).isFalse();
                    assertThat(groups.get("liveness").isMember("gptq")).isTrue();
                });
        runner.withPropertyValues(PROBES, "management.health.gptq.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(HealthEndpointGroups.class).get("readiness").isMember("gptq")).isFalse();
        });
        runner.withPropertyValues("management.endpoint.health.probes.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(HealthEndpointGroups.class).getNames()).doesNotContain("readiness", "liveness");
        });
    }
}
