package org.gptq4j.spring;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.gptq4j.engine.Engine;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;

/**
 * The graceful drain of the shared engine when the application context closes (SIGTERM, or any
 * {@code context.close()}): first readiness goes to {@link ReadinessState#REFUSING_TRAFFIC} (Spring Boot's own
 * availability state, which {@code /actuator/health/readiness} reports), and {@link #tryEnter()} refuses from then
 * on, so that the OpenAI-compatible endpoint answers new requests 503 with {@code Retry-After}; then it waits for the
 * API requests already accepted (streams included) and the engine's own work to finish, at most
 * {@code langchain4j.gptq.drain-timeout}; then it closes the engine, which fails whatever is still running and frees
 * the KV cache, the compute threads and the weights.
 *
 * <p>It stops in a phase before the web server's graceful shutdown ({@code SmartLifecycle.DEFAULT_PHASE - 1024}),
 * while the server still answers, so that a load balancer gets a 503 (and retries elsewhere) rather than a refused
 * connection, and the probes still answer.
 */
public final class GptqDrain implements SmartLifecycle {
    private static final Log LOG = LogFactory.getLog(GptqDrain.class);
    /** Before Spring Boot's web server graceful shutdown (DEFAULT_PHASE - 1024) and its stop (DEFAULT_PHASE - 2048). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;
    /** How often the engine's own queue is looked at while draining (API requests wake the wait themselves). */
    private static final long ENGINE_POLL_MILLIS = 50;

    private final Duration timeout;
    private final Supplier<Optional<Engine>> engine;
    private final Runnable closeEngine;
    private final ApplicationEventPublisher events;
    private final Supplier<ApplicationAvailability> availability;
    private int inFlight; // guarded by this
    private boolean draining; // guarded by this
    private volatile boolean running;

    /**
     * @param timeout      the longest wait for requests in flight ({@code langchain4j.gptq.drain-timeout})
     * @param engine       the engine if it is loaded (never loads it)
     * @param closeEngine  closes the engine and frees its memory
     * @param events       where the readiness change is published
     * @param availability the current availability state, or a supplier of {@code null} without one
     */
    public GptqDrain(Duration timeout, Supplier<Optional<Engine>> engine, Runnable closeEngine,
                     ApplicationEventPublisher events, Supplier<ApplicationAvailability> availability) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.closeEngine = Objects.requireNonNull(closeEngine, "closeEngine");
        this.events = Objects.requireNonNull(events, "events");
        this.availability = Objects.requireNonNull(availability, "availability");
    }

    /**
     * Counts one API request in; false once the drain has begun (answer it 503). Each {@code true} must be matched by
     * one {@link #exit()} when the request (its stream, for a streaming one) ends.
     */
    public synchronized boolean tryEnter() {
        if (draining) return false;
        inFlight++;
        return true;
    }

    /** Counts one API request out. */
    public synchronized void exit() {
        if (inFlight > 0) inFlight--;
        notifyAll();
    }

    /** Whether the drain has begun. */
    public synchronized boolean isDraining() {
        return draining;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** Drains and closes the engine; returns once it is closed (at most {@code drain-timeout} plus the close). */
    @Override
    public void stop() {
        if (!running) return;
        running = false;
        refuseTraffic();
        synchronized (this) {
            draining = true;
        }
        int left = awaitIdle();
        if (left > 0) {
            LOG.warn("Drain timeout (" + GptqProperties.PREFIX + ".drain-timeout=" + timeout + ") reached with " + left
                    + " request(s) in flight; closing the engine fails them");
        } else {
            LOG.info("Drained: no request in flight; closing the engine");
        }
        closeEngine.run();
    }

    private void refuseTraffic() {
        ApplicationAvailability current = availability.get();
        if (current != null && current.getReadinessState() == ReadinessState.REFUSING_TRAFFIC) return;
        AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
    }

    /** Waits until nothing is in flight or the timeout passed; the requests still in flight (API and engine). */
    private int awaitIdle() {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            synchronized (this) {
                while (true) {
                    int left = inFlight + engineWork();
                    long wait = deadline - System.nanoTime();
                    if (left == 0 || wait <= 0) return left;
                    try {
                        wait(Math.max(1, Math.min(ENGINE_POLL_MILLIS, TimeUnit.NANOSECONDS.toMillis(wait))));
                    } catch (InterruptedException e) {
                        interrupted = true; // still drain: shutdown must close the engine either way
                    }
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Requests queued or running in the engine, whoever submitted them (0 before a lazy model is loaded). */
    private int engineWork() {
        return engine.get().filter(Engine::isRunning).map(Engine::metrics)
                .map(m -> m.queueDepth() + m.runningSequences()).orElse(0);
    }
}
