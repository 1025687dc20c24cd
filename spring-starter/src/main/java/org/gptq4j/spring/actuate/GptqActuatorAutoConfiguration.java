package org.gptq4j.spring.actuate;

import io.micrometer.core.instrument.binder.MeterBinder;
import org.gptq4j.engine.Engine;
import org.gptq4j.spring.GptqAutoConfiguration;
import org.gptq4j.spring.GptqModelLoader;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The gptq4j health indicator ({@code /actuator/health/gptq}, off with {@code management.health.gptq.enabled=false})
 * when Spring Boot's health module is present, and the Micrometer meters ({@link GptqMetrics}) when Micrometer is.
 * Both watch the starter's engine, or the application's own {@link Engine} bean.
 */
@AutoConfiguration(after = GptqAutoConfiguration.class)
@ConditionalOnBean(Engine.class)
public class GptqActuatorAutoConfiguration {

    static EngineSource engineSource(ObjectProvider<GptqModelLoader> loader, ObjectProvider<Engine> engine) {
        GptqModelLoader ours = loader.getIfAvailable();
        return ours != null ? EngineSource.of(ours) : EngineSource.of(engine.getObject());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("gptq")
    static class HealthConfiguration {
        @Bean
        @ConditionalOnMissingBean(name = "gptqHealthIndicator")
        GptqHealthIndicator gptqHealthIndicator(ObjectProvider<GptqModelLoader> loader, ObjectProvider<Engine> engine) {
            return new GptqHealthIndicator(engineSource(loader, engine));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class MetricsConfiguration {
        @Bean
        @ConditionalOnMissingBean
        GptqMetrics gptqMetrics(ObjectProvider<GptqModelLoader> loader, ObjectProvider<Engine> engine) {
            return new GptqMetrics(engineSource(loader, engine));
        }
    }
}
