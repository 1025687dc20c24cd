package org.gptq4j.engine;

/** The engine is closed (or closing): new requests are refused and pending ones fail with this. */
public final class EngineClosedException extends IllegalStateException {
    EngineClosedException(String message) {
        super(message);
    }
}
