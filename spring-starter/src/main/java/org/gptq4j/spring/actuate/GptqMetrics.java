package org.gptq4j.spring.actuate;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;
import org.gptq4j.engine.EngineMetrics;
import org.gptq4j.engine.EngineMetricsListener;
import org.gptq4j.engine.GenerationResult;

/**
 * Micrometer meters for the serving core, tagged with {@code model}. Gauges and counters read the engine's metrics
 * snapshot ({@code NaN}/0 until a lazily loaded model is loaded); the timers are fed per request through
 * {@link EngineMetricsListener}, which the starter's loader registers with the engine.
 *
 * <ul>
 *   <li>{@code gptq.tokens.per.second}: decode throughput over the last few seconds</li>
 *   <li>{@code gptq.time.to.first.token}: timer, submission to first token, per request</li>
 *   <li>{@code gptq.request.duration}: timer, submission to end, per request</li>
 *   <li>{@code gptq.queue.depth}, {@code gptq.sequences.running}: gauges</li>
 *   <li>{@code gptq.kv.blocks.used}, {@code gptq.kv.blocks.total}, {@code gptq.kv.cache.usage}: gauges</li>
 *   <li>{@code gptq.prefix.cache.hit.rate}: prompt tokens reused from the prefix cache / prompt tokens looked up</li>
 *   <li>{@code gptq.requests} (tag {@code outcome}: completed, failed, rejected), {@code gptq.tokens.prompt},
 *       {@code gptq.tokens.generated}, {@code gptq.preemptions}: counters</li>
 * </ul>
 *
 * <p>And the server meters of OpenTelemetry's GenAI semantic conventions, which GenAI dashboards know, each a
 * histogram with the conventions' bucket boundaries (published as buckets to Prometheus, e.g.
 * {@code gen_ai_server_request_duration_seconds_bucket}), tagged {@code gen_ai.operation.name=chat},
 * {@code gen_ai.provider.name=gptq4j}, {@code gen_ai.request.model} and {@code gen_ai.response.model}:
 * <ul>
 *   <li>{@code gen_ai.server.request.duration}: submission to end, per request</li>
 *   <li>{@code gen_ai.server.time_to_first_token}: submission to the first generated token</li>
 *   <li>{@code gen_ai.server.time_per_output_token}: after the first token, per further token</li>
 * </ul>
 * The client-side meters ({@code gen_ai.client.operation.duration}, {@code gen_ai.client.token.usage}) and traces
 * come from LangChain4j's own {@code ObservationChatModelListener} (langchain4j-observation): as a bean, it is
 * attached to the starter's models like every {@code ChatModelListener} bean.
 */
public class GptqMetrics implements MeterBinder, EngineMetricsListener {
    private final EngineSource source;
    private final List<Timer> timeToFirstToken = new CopyOnWriteArrayList<>();
    private final List<Timer> requestDuration = new CopyOnWriteArrayList<>();
    private final List<Timer> genAiRequestDuration = new CopyOnWriteArrayList<>();
    private final List<Timer> genAiTimeToFirstToken = new CopyOnWriteArrayList<>();
    private final List<Timer> genAiTimePerOutputToken = new CopyOnWriteArrayList<>();

    public GptqMetrics(EngineSource source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags tags = Tags.of("model", source.description());
        gauge(registry, tags, "gptq.tokens.per.second", "tokens/s", "Tokens generated per second, recent",
                EngineMetrics::decodeTokensPerSecond);
        gauge(registry, tags, "gptq.queue.depth", "requests", "Requests waiting for admission", EngineMetrics::queueDepth);
        gauge(registry, tags, "gptq.sequences.running", "sequences", "Sequences in the running batch",
                EngineMetrics::runningSequences);
        gauge(registry, tags, "gptq.kv.blocks.used", "blocks", "KV cache blocks held by running sequences",
                EngineMetrics::kvBlocksUsed);
        gauge(registry, tags, "gptq.kv.blocks.total", "blocks", "KV cache blocks", EngineMetrics::kvBlocksTotal);
        gauge(registry, tags, "gptq.kv.cache.usage", null, "Share of KV cache blocks in use",
                m -> m.kvBlocksTotal() == 0 ? 0 : (double) m.kvBlocksUsed() / m.kvBlocksTotal());
        gauge(registry, tags, "gptq.prefix.cache.hit.rate", null, "Prompt tokens reused from the prefix cache"
                + " / prompt tokens looked up", EngineMetrics::prefixCacheHitRate);
        counter(registry, tags.and("outcome", "completed"), "gptq.requests", "requests", EngineMetrics::requestsCompleted);
        counter(registry, tags.and("outcome", "failed"), "gptq.requests", "requests", EngineMetrics::requestsFailed);
        counter(registry, tags.and("outcome", "rejected"), "gptq.requests", "requests", EngineMetrics::requestsRejected);
        counter(registry, tags, "gptq.tokens.prompt", "tokens", EngineMetrics::promptTokens);
        counter(registry, tags, "gptq.tokens.generated", "tokens", EngineMetrics::generatedTokens);
        counter(registry, tags, "gptq.preemptions", "preemptions", EngineMetrics::preemptions);
        timeToFirstToken.add(Timer.builder("gptq.time.to.first.token").tags(tags)
                .description("From submission to the first generated token").register(registry));
        requestDuration.add(Timer.builder("gptq.request.duration").tags(tags)
                .description("From submission to the end of a generation").register(registry));
        Tags genAi = Tags.of("gen_ai.operation.name", "chat", "gen_ai.provider.name", "gptq4j",
                "gen_ai.request.model", source.description(), "gen_ai.response.model", source.description());
        genAiRequestDuration.add(genAiTimer(registry, genAi, "gen_ai.server.request.duration",
                "Generative AI server request duration", 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12,
                10.24, 20.48, 40.96, 81.92));
        genAiTimeToFirstToken.add(genAiTimer(registry, genAi, "gen_ai.server.time_to_first_token",
                "Time to generate the first token", 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
                1.0, 2.5, 5.0, 7.5, 10.0));
        genAiTimePerOutputToken.add(genAiTimer(registry, genAi, "gen_ai.server.time_per_output_token",
                "Time per output token generated after the first token", 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                0.3, 0.4, 0.5, 0.75, 1.0, 2.5));
    }

    /** A GenAI semantic-conventions timer, with the conventions' bucket boundaries in seconds. */
    private static Timer genAiTimer(MeterRegistry registry, Tags tags, String name, String description,
                                    double... bucketSeconds) {
        Duration[] buckets = new Duration[bucketSeconds.length];
        for (int i = 0; i < buckets.length; i++) buckets[i] = Duration.ofNanos(Math.round(bucketSeconds[i] * 1e9));
        return Timer.builder(name).tags(tags).description(description).serviceLevelObjectives(buckets)
                .register(registry);
    }

    @Override
    public void onRequestCompleted(GenerationResult result) {
        if (result.generatedTokenCount() > 0) {
            timeToFirstToken.forEach(t -> t.record(result.timings().timeToFirstToken()));
        }
        requestDuration.forEach(t -> t.record(result.timings().total()));
        genAiRequestDuration.forEach(t -> t.record(result.timings().total()));
        if (result.generatedTokenCount() > 0) {
            genAiTimeToFirstToken.forEach(t -> t.record(result.timings().timeToFirstToken()));
        }
        if (result.generatedTokenCount() > 1) {
            Duration perToken = result.timings().total().minus(result.timings().timeToFirstToken())
                    .dividedBy(result.generatedTokenCount() - 1);
            genAiTimePerOutputToken.forEach(t -> t.record(perToken));
        }
    }

    private void gauge(MeterRegistry registry, Tags tags, String name, String unit, String description,
                       ToDoubleFunction<EngineMetrics> value) {
        Gauge.builder(name, this, self -> self.snapshot(value, Double.NaN)).tags(tags).baseUnit(unit)
                .description(description).register(registry);
    }

    private void counter(MeterRegistry registry, Tags tags, String name, String unit,
                         ToDoubleFunction<EngineMetrics> value) {
        FunctionCounter.builder(name, this, self -> self.snapshot(value, 0)).tags(tags).baseUnit(unit)
                .register(registry);
    }

    private double snapshot(ToDoubleFunction<EngineMetrics> value, double absent) {
        return source.engine().get().map(engine -> value.applyAsDouble(engine.metrics())).orElse(absent);
    }
}
