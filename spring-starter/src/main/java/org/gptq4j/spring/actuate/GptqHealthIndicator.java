package org.gptq4j.spring.actuate;

import java.util.Objects;
import java.util.Optional;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineMetrics;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The gptq4j engine's health: UP with {@code loaded: false} before a lazily loaded model is first used; DOWN when
 * loading it failed; otherwise UP with the KV cache's use and the queue. Never loads the model itself.
 */
public class GptqHealthIndicator extends AbstractHealthIndicator {
    private final EngineSource source;

    public GptqHealthIndicator(EngineSource source) {
        super("gptq4j health check failed");
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("model", source.description());
        Optional<Engine> engine = source.engine().get();
        if (engine.isEmpty()) {
            Optional<RuntimeException> failure = source.failure().get();
            if (failure.isPresent()) builder.down(failure.get());
            else builder.up();
            builder.withDetail("loaded", false);
            return;
        }
        EngineMetrics m = engine.get().metrics();
        int queueLimit = engine.get().limits().maxQueuedRequests();
        if (engine.get().isRunning()) builder.up();
        else builder.down().withDetail("reason", "the engine's step loop has stopped (closed, or it failed: see the log)");
        builder
                .withDetail("loaded", true)
                .withDetail("kvBlocksUsed", m.kvBlocksUsed())
                .withDetail("kvBlocksTotal", m.kvBlocksTotal())
                .withDetail("kvCacheUsage", m.kvBlocksTotal() == 0 ? 0.0 : (double) m.kvBlocksUsed() / m.kvBlocksTotal())
                .withDetail("runningSequences", m.runningSequences())
                .withDetail("queueDepth", m.queueDepth())
                .withDetail("maxQueuedRequests", queueLimit)
                .withDetail("queueFull", m.queueDepth() >= queueLimit);
    }
}
