package org.gptq4j.kernel;

import org.gptq4j.engine.Engine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Thread counts are bounded: an absurd one is refused at once, naming the bounds, before any thread starts. */
class ComputePoolTest {

    @Test
    void theBoundIsFourPerProcessorAndNeverBelowSixteen() {
        assertThat(ComputePool.maxThreads())
                .isEqualTo(Math.max(16, 4 * Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void aHundredThousandThreadsAreRefusedByThePoolAndTheEngineBuilder() {
        int max = ComputePool.maxThreads();
        assertThatThrownBy(() -> new ComputePool(100_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads must be between 1 and " + max).hasMessageContaining("100000");
        assertThatThrownBy(() -> Engine.builder().threads(100_000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("threads must be between 1 and " + max);
        assertThatThrownBy(() -> Engine.builder().threads(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void theLargestAllowedCountWorks() {
        try (ComputePool pool = new ComputePool(ComputePool.maxThreads())) {
            int[] hits = new int[ComputePool.maxThreads() * 4];
            pool.parallelFor(hits.length, (start, end) -> {
                for (int i = start; i < end; i++) hits[i]++;
            });
            assertThat(hits).containsOnly(1);
        }
    }

    @Test
    void theThreadsPropertyIsCheckedToo() {
        assertThat(ComputePool.threadsProperty(" 3 ")).isEqualTo(3);
        assertThatThrownBy(() -> ComputePool.threadsProperty("100000")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-Dgptq4j.threads must be between 1 and");
        assertThatThrownBy(() -> ComputePool.threadsProperty("many")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-Dgptq4j.threads must be a whole number").hasMessageContaining("'many'");
    }
}
