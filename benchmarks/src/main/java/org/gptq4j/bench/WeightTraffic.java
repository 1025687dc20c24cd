package org.gptq4j.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What the calls of a linear layer cost, reported by JMH next to the benchmark's own score:
 * {@code weightBytes} (bytes of weights read, {@link org.gptq4j.kernel.Linear#weightBytes()} per call) and
 * {@code flops} ({@code 2 * rows * in * out} per call: one multiply and one add per weight and row).
 *
 * <p>{@link AuxCounters.Type#OPERATIONS} counters are normalized to the measured time like the primary score, so with
 * {@code Mode.Throughput} in seconds the {@code apply:weightBytes} and {@code apply:flops} rows, printed as "ops/s",
 * are bytes/s and flop/s: divide by 1e9 for GB/s and GFLOP/s. ({@code EVENTS} counters are not normalized: they would
 * print the iteration's raw sums.) JMH zeroes the public fields before every iteration.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class WeightTraffic {
    /** Bytes of weights read. */
    public long weightBytes;
    /** Arithmetic operations, a multiply-add counting as two. */
    public long flops;

    /** Counts one call of a layer holding {@code bytes} bytes of weights, {@code in x out}, over {@code rows} rows. */
    void add(long bytes, int rows, int in, int out) {
        weightBytes += bytes;
        flops += 2L * rows * in * out;
    }
}
