package org.gptq4j.langchain4j.it;

import java.nio.file.Path;
import org.gptq4j.engine.Engine;
import org.gptq4j.testing.Fixtures;

/** One real engine on the stories260K fixture, shared by every real-engine test (as beans would share it). */
public final class SharedEngine {
    public static final Path MODEL = Fixtures.model(Fixtures.STORIES, "main");
    public static final String MODEL_NAME = "stories260K-gptq";
    public static final Engine ENGINE = Engine.builder().modelPath(MODEL).threads(1).build();

    private SharedEngine() {}
}
