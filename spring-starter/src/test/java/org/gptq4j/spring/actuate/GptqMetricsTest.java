package org.gptq4j.spring.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.engine.GenerationTimings;
import org.gptq4j.sampling.FinishReason;
import org.junit.jupiter.api.Test;

/** The GenAI semantic-conventions meters: names, tags, what each request records, and their histogram buckets. */
class GptqMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final GptqMetrics metrics = new GptqMetrics(new EngineSource(Optional::empty, Optional::empty, () -> false, "org/stories"));

    GptqMetricsTest() {
        metrics.bindTo(registry);
    }

    private static GenerationResult result(int generated, long firstTokenMillis, long totalMillis) {
        return new GenerationResult(new int[generated], "", FinishReason.STOP, null, 7, 0, 0, new GenerationTimings(
                Duration.ZERO, Duration.ofMillis(firstTokenMillis), Duration.ofMillis(totalMillis), Duration.ZERO));
    }

    private Timer genAi(String name) {
        return registry.get(name).tag("gen_ai.operation.name", "chat").tag("gen_ai.provider.name", "gptq4j")
                .tag("gen_ai.request.model", "org/stories").tag("gen_ai.response.model", "org/stories").timer();
    }

    @Test
    void each_request_records_duration_time_to_first_token_and_time_per_output_token() {
        metrics.onRequestCompleted(result(5, 50, 250));

        assertThat(genAi("gen_ai.server.request.duration").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
        assertThat(genAi("gen_ai.server.time_to_first_token").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50);
        assertThat(genAi("gen_ai.server.time_per_output_token").totalTime(TimeUnit.MILLISECONDS))
                .as("(250 - 50) ms over the 4 tokens after the first").isEqualTo(50);
    }

    @Test
    void a_request_without_tokens_has_no_first_token_and_one_token_no_time_per_token() {
        metrics.onRequestCompleted(result(0, 0, 30));
        metrics.onRequestCompleted(result(1, 20, 20));

        assertThat(genAi("gen_ai.server.request.duration").count()).isEqualTo(2);
        assertThat(genAi("gen_ai.server.time_to_first_token").count()).isEqualTo(1);
        assertThat(genAi("gen_ai.server.time_per_output_token").count()).isZero();
    }

    @Test
    void the_histograms_have_the_conventions_bucket_boundaries() {
        metrics.onRequestCompleted(result(5, 50, 250));

        double[] seconds = Arrays.stream(genAi("gen_ai.server.request.duration").takeSnapshot().histogramCounts())
                .mapToDouble(b -> b.bucket(TimeUnit.SECONDS)).toArray();
        assertThat(seconds).containsExactly(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                40.96, 81.92);
        CountAtBucket[] ttft = genAi("gen_ai.server.time_to_first_token").takeSnapshot().histogramCounts();
        assertThat(ttft).hasSize(16);
        assertThat(Arrays.stream(ttft).filter(b -> b.bucket(TimeUnit.MILLISECONDS) >= 60).allMatch(b -> b.count() == 1))
                .as("the 50 ms first token is counted in every bucket from 60 ms up").isTrue();
        assertThat(genAi("gen_ai.server.time_per_output_token").takeSnapshot().histogramCounts()).hasSize(13);
    }
}
