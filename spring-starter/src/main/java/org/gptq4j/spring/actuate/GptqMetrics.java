package org.gptq4j.spring.actuate;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
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
 */
public class GptqMetrics implements MeterBinder, EngineMetricsListener {
    private final EngineSource source;
    private final List<Timer> timeToFirstToken = new CopyOnWriteArrayList<>();
    private final List<Timer> requestDuration = new CopyOnWriteArrayList<>();

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
    }

    @Override
    public void onRequestCompleted(GenerationResult result) {
        if (result.generatedTokenCount() > 0) {
            timeToFirstToken.forEach(t -> t.record(result.timings().timeToFirstToken()));
        }
        requestDuration.forEach(t -> t.record(result.timings().total()));
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
