package org.gptq4j.samples.agent;

import dev.langchain4j.agent.tool.Tool;

import java.time.Clock;
import java.time.Instant;

/** The current time, which a model cannot know. */
public class CurrentTime {
    private final Clock clock;

    public CurrentTime(Clock clock) {
        this.clock = clock;
    }

    @Tool("The current UTC date and time")
    public String now() {
        return Instant.now(clock).toString();
    }
}
