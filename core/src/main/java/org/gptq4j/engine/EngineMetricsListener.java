package org.gptq4j.engine;

/**
 * Told of every step and every finished request, on the engine thread (keep it quick): the hook a Micrometer
 * binding uses for timers and distributions; gauges and counters can read {@link Engine#metrics()} instead.
 * An exception thrown here is logged and ignored.
 */
public interface EngineMetricsListener {
    /** After each step that did work, with the snapshot it produced. */
    default void onStep(EngineMetrics snapshot) {}

    /** A request ended with a result (also cancelled ones). */
    default void onRequestCompleted(GenerationResult result) {}

    /** A request ended with an error, or was refused at submission. */
    default void onRequestFailed(Throwable error) {}
}
