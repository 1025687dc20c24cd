package org.gptq4j.spring.actuate;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineMetrics;
import org.gptq4j.engine.EngineMetricsListener;
import org.gptq4j.engine.GenerationResult;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Whether the gptq4j engine can generate. Never loads the model itself.
 * <ul>
 *   <li>OUT_OF_SERVICE while the model is being resolved, downloaded or loaded (not ready for traffic yet);</li>
 *   <li>UP with {@code loaded: false} before a lazily loaded model is first used (the first request loads it);</li>
 *   <li>DOWN when loading failed, when the engine's step loop has stopped, or when generation fails because the JVM
 *       cannot run the kernels: the latest request failed with a {@link LinkageError} (a class or native library
 *       that cannot be loaded, such as {@code NoClassDefFoundError} for {@code jdk.incubator.vector}) and none has
 *       completed since. That failure is the same for every request, so the model cannot answer any;</li>
 *   <li>otherwise UP with the KV cache's use and the queue.</li>
 * </ul>
 * It learns of failed requests as one of the engine's {@link EngineMetricsListener}s, which the starter's loader
 * hands to the engine it builds (an engine the application builds itself reports only loading and its loop).
 */
public class GptqHealthIndicator extends AbstractHealthIndicator implements EngineMetricsListener {
    private final EngineSource source;
    private final AtomicReference<LinkageError> cannotGenerate = new AtomicReference<>();

    public GptqHealthIndicator(EngineSource source) {
        super("gptq4j health check failed");
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public void onRequestCompleted(GenerationResult result) {
        cannotGenerate.set(null);
    }

    @Override
    public void onRequestFailed(Throwable error) {
        LinkageError linkage = linkageError(error);
        if (linkage != null) cannotGenerate.set(linkage);
    }

    /** The {@link LinkageError} in {@code error}'s cause chain, if any. */
    private static LinkageError linkageError(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof LinkageError linkage) return linkage;
        }
        return null;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("model", source.description());
        Optional<Engine> engine = source.engine().get();
        if (engine.isEmpty()) {
            Optional<RuntimeException> failure = source.failure().get();
            if (source.loading().getAsBoolean()) {
                builder.status(Status.OUT_OF_SERVICE).withDetail("loading", true);
            } else if (failure.isPresent()) {
                builder.down(failure.get());
            } else {
                builder.up();
            }
            builder.withDetail("loaded", false);
            return;
        }
        EngineMetrics m = engine.get().metrics();
        int queueLimit = engine.get().limits().maxQueuedRequests();
        LinkageError linkage = cannotGenerate.get();
        if (!engine.get().isRunning()) {
            builder.down().withDetail("reason", "the engine's step loop has stopped (closed, or it failed: see the log)");
        } else if (linkage != null) {
            builder.down().withDetail("reason", "every generation fails: the JVM cannot run the kernels ("
                    + linkage + "); see docs/embedding.md for the JVM flags");
        } else {
            builder.up();
        }
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
