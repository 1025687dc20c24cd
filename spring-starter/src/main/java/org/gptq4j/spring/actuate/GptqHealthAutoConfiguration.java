package org.gptq4j.spring.actuate;

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

/**
 * The gptq4j health indicator ({@code /actuator/health/gptq}; off with {@code management.health.gptq.enabled=false})
 * when Spring Boot's health module is present. A class of its own: without that module the annotation
 * {@code @ConditionalOnEnabledHealthIndicator} cannot even be read.
 */
@AutoConfiguration(after = GptqAutoConfiguration.class)
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
}
