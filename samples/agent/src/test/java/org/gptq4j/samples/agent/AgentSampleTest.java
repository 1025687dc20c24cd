package org.gptq4j.samples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.tool.ToolExecution;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The agent on a tiny model with random weights: its text is nonsense, but constrained decoding must still make it
 * call a real tool with well-typed arguments, and AiServices must run that tool and finish the conversation.
 */
class AgentSampleTest {

    /**
     * The tiny fixture with a 2048-token context window: its 512 cannot hold the tool descriptions and a call round
     * (random weights know no positions anyway).
     */
    static Path tinyModelWithLongerContext(Path dir) throws IOException {
        Path source = Fixtures.model(Fixtures.TINY, "main");
        try (Stream<Path> files = Files.list(source)) {
            for (Path file : files.toList()) Files.copy(file, dir.resolve(file.getFileName()));
        }
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), config.put("max_position_embeddings", 2048));
        return dir;
    }

    @Test
    void theModelCallsAToolWithValidArgumentsAndAiServicesRunsIt(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Instant start = Instant.now();
        Result<String> result = AgentSample.run(tinyModelWithLongerContext(dir), AgentSample.QUESTION,
                new PrintStream(out, true, StandardCharsets.UTF_8));

        assertThat(result.toolExecutions()).isNotEmpty();
        for (ToolExecution execution : result.toolExecutions()) {
            JsonNode arguments = new ObjectMapper().readTree(execution.request().arguments());
            switch (execution.request().name()) {
                case "calculate" -> {
                    assertThat(arguments.properties()).extracting(e -> e.getKey()).containsExactlyInAnyOrder("a", "operator", "b");
                    assertThat(arguments.get("a").isNumber() && arguments.get("b").isNumber()).as(arguments.toString()).isTrue();
                    assertThat(arguments.get("operator").asText()).isIn(Arrays.stream(Calculator.Operator.values()).map(Enum::name).toList());
                    double expected = new Calculator().calculate(arguments.get("a").asDouble(),
                            Calculator.Operator.valueOf(arguments.get("operator").asText()), arguments.get("b").asDouble());
                    assertThat(Double.parseDouble(execution.result())).isEqualTo(expected);
                }
                case "now" -> {
                    assertThat(arguments.isEmpty()).as(arguments.toString()).isTrue();
                    assertThat(Instant.parse(execution.result())).isBetween(start, Instant.now());
                }
                default -> throw new AssertionError("unknown tool " + execution.request().name());
            }
        }
        assertThat(result.content()).isNotNull();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Q: " + AgentSample.QUESTION).contains("   tool ").contains("A: ");
    }

    @Test
    void theToolsComputeWhatTheySay() {
        assertThat(new Calculator().calculate(12.5, Calculator.Operator.MULTIPLY, 4)).isEqualTo(50.0);
        assertThat(new Calculator().calculate(1, Calculator.Operator.DIVIDE, 3)).isCloseTo(0.333, within(0.001));
        Instant noon = Instant.parse("2025-01-01T12:00:00Z");
        assertThat(new CurrentTime(Clock.fixed(noon, ZoneOffset.UTC)).now()).isEqualTo("2025-01-01T12:00:00Z");
        assertThat(Duration.between(noon, Instant.parse(new CurrentTime(Clock.offset(Clock.fixed(noon, ZoneOffset.UTC),
                Duration.ofHours(1))).now()))).isEqualTo(Duration.ofHours(1));
    }
}
