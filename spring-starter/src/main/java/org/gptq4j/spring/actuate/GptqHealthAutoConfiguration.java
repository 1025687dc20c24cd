package org.gptq4j.spring.actuate;

import org.gptq4j.engine.Engine;
import org.gptq4j.spring.GptqAutoConfiguration;
import org.gptq4j.spring.GptqModelLoader;
import org.gptq4j.spring.GptqProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

/**
 * The gptq4j health indicator ({@code /actuator/health/gptq}; off with {@code management.health.gptq.enabled=false})
 * when Spring Boot's health module is present, and its place in the liveness and readiness probes
 * ({@link GptqProbeGroups}). A class of its own: without that module the annotation
 * {@code @ConditionalOnEnabledHealthIndicator} cannot even be read. After Spring Boot's probe configuration, so that
 * {@link GptqProbeGroups} post-processes the probe groups once they exist.
 */
@AutoConfiguration(after = GptqAutoConfiguration.class,
        afterName = "org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration")
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(Engine.class)
public class GptqHealthAutoConfiguration {

    /** Its condition sits here, not on the class, so that it is read only once the health module is known present. */
    @Bean
    @ConditionalOnEnabledHealthIndicator("gptq")
    @ConditionalOnMissingBean(name = "gptqHealthIndicator")
    public GptqHealthIndicator gptqHealthIndicator(ObjectProvider<GptqModelLoader> loader, ObjectProvider<Engine> engine) {
        return new GptqHealthIndicator(EngineSource.from(loader, engine));
    }

    /** The probes, when the health endpoint (Actuator) is there too, not only the health module. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.web.AdditionalPathsMapper")
    static class Probes {
        /**
         * In {@code liveness} only when the model loads eagerly (the default): see {@link GptqProbeGroups}. Ordered
         * last, as Spring Boot's own probe post-processor is, and registered after it.
         */
        @Bean
        @ConditionalOnEnabledHealthIndicator("gptq")
        @Order(Ordered.LOWEST_PRECEDENCE)
        GptqProbeGroups gptqProbeGroups(Environment environment, GptqProperties properties) {
            return new GptqProbeGroups(environment, properties.loading() == GptqProperties.Loading.EAGER);
        }
    }
}
