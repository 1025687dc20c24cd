package org.gptq4j.hub;

import java.time.Duration;

/** Waits between retries; tests substitute one that records instead of sleeping. */
@FunctionalInterface
interface Sleeper {
    Sleeper REAL = Thread::sleep;

    void sleep(Duration duration) throws InterruptedException;
}
