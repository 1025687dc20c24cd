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
import org.springframework.context.annotation.Bean;

/**
 * The gptq4j Micrometer meters ({@link GptqMetrics}, a {@link MeterBinder} that Spring Boot binds to every registry)
 * when Micrometer is present. The starter's loader also hands them to the engine as its metrics listener, for the
 * per-request timers.
 */
@AutoConfiguration(after = GptqAutoConfiguration.class)
@ConditionalOnClass(MeterBinder.class)
@ConditionalOnBean(Engine.class)
public class GptqMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public GptqMetrics gptqMetrics(ObjectProvider<GptqModelLoader> loader, ObjectProvider<Engine> engine) {
        return new GptqMetrics(EngineSource.from(loader, engine));
    }
}
