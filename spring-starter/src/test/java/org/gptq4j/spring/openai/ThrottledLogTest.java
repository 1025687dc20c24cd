package org.gptq4j.spring.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.logging.Log;
import org.junit.jupiter.api.Test;

/** A client-caused log line is written at most once per interval, saying how many were left out meanwhile. */
class ThrottledLogTest {
    private final List<String> lines = new ArrayList<>();
    private final Log log = (Log) Proxy.newProxyInstance(Log.class.getClassLoader(), new Class<?>[] {Log.class},
            (proxy, method, args) -> {
                if (method.getName().startsWith("is")) return true;
                lines.add(method.getName() + " " + args[0] + (args.length > 1 ? " +trace" : ""));
                return null;
            });
    private final AtomicLong now = new AtomicLong(1_000);
    private final ThrottledLog throttled = new ThrottledLog(log, Duration.ofSeconds(60), now::get);

    @Test
    void writesTheFirstLineThenOneAnIntervalCountingTheOthersWhichGoToDebug() {
        throttled.warn("bad request 1");
        throttled.warn("bad request 2");
        throttled.warn("bad request 3");
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        throttled.warn("bad request 4");
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        throttled.warn("bad request 5");
        throttled.error("engine fault", new IllegalStateException("x"));
        assertThat(lines).containsExactly("warn bad request 1", "debug bad request 2", "debug bad request 3",
                "debug bad request 4", "warn bad request 5 (3 more like it since the last one, logged at DEBUG)",
                "debug engine fault +trace");
    }
}
