package org.gptq4j.samples.springchat;

import org.gptq4j.samples.EmbeddedModel;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.util.Map;

/**
 * Uses the embedded stories260K model when the application names none, so the sample starts offline. Set
 * {@code langchain4j.gptq.chat-model.repo} (or {@code model-path}) for a real chat model.
 */
class EmbeddedModelDefault implements EnvironmentPostProcessor {
    static final String REPO = "langchain4j.gptq.chat-model.repo";
    static final String MODEL_PATH = "langchain4j.gptq.chat-model.model-path";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (environment.containsProperty(REPO) || environment.containsProperty(MODEL_PATH)) return;
        environment.getPropertySources().addLast(new MapPropertySource("gptq4j-embedded-model",
                Map.of(MODEL_PATH, EmbeddedModel.folder().toString(), "langchain4j.gptq.chat-model.chat-template", "raw")));
    }
}
