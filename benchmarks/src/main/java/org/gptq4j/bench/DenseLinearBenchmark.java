package org.gptq4j.bench;

import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.DenseLinear;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.NativeKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The F16 lm_head ({@link DenseLinear#apply}, an unquantized {@code [out, in]} F16 matrix) on random weights.
 * The default shape 4096x32000 is Llama-2-7B's lm_head with the 32,000-token vocabulary (262 MB); the 55,296-token
 * one is {@code -p shape=4096x55296} (453 MB per copy).
 *
 * <p>Parameters: {@code backend} (native: the C F16C+FMA kernel; java: the Vector API path, which the float backend
 * also takes for dense layers), {@code shape} ({@code INxOUT}), {@code rows} (1: a decode step; 16: the logits of a
 * batch of sequences), {@code threads} (0: one per physical core) and {@code copies} (distinct weight matrices the
 * calls cycle through, to measure memory rather than a last-level cache that holds the matrix).
 *
 * <p>Reading the results as for {@link GptqLinearBenchmark}: {@code apply:weightBytes} and {@code apply:flops}, printed
 * as "ops/s", are bytes/s of weights read and flop/s; divide by 1e9 for GB/s and GFLOP/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DenseLinearBenchmark {
    @Param({"native", "java"})
    public String backend;

    @Param({"4096x32000"})
    public String shape;

    @Param({"1", "16"})
    public int rows;

    @Param({"0"})
    public int threads;

    @Param({"1"})
    public int copies;

    private Arena arena;
    private DenseLinear[] layers;
    private LayerRotation rotation;

    @Setup(Level.Trial)
    public void setUp() {
        KernelBackend kind = BenchParams.backend(backend);
        int[] dims = BenchParams.inOut(shape);
        int in = dims[0], out = dims[1];
        if (copies < 1) throw new IllegalArgumentException("copies must be >= 1, got " + copies);
        arena = Arena.ofShared();
        layers = new DenseLinear[copies];
        SplittableRandom rnd = new SplittableRandom(42);
        short[] values = new short[4096]; // F16 N(0, 0.02) values, drawn from at random: filling with one call each is slow
        for (int i = 0; i < values.length; i++) values[i] = Float.floatToFloat16((float) (0.02 * rnd.nextGaussian()));
        short[] row = new short[in];
        for (int c = 0; c < copies; c++) {
            MemorySegment w = arena.allocate((long) out * in * Short.BYTES, 64);
            for (int n = 0; n < out; n++) {
                for (int k = 0; k < in; k++) row[k] = values[rnd.nextInt(values.length)];
                MemorySegment.copy(row, 0, w, ValueLayout.JAVA_SHORT, (long) n * in * Short.BYTES, in);
            }
            layers[c] = new DenseLinear(new Tensor("lm_head.weight", DType.F16, new long[]{out, in}, w), null, kind);
        }
        rotation = new LayerRotation(layers, rows, threads);
        System.out.println("# dense F16 " + in + "x" + out + " " + kind.name().toLowerCase(java.util.Locale.ROOT) + ", "
                + rotation.describe() + "; " + NativeKernels.status());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        rotation.close();
        arena.close();
    }

    @Benchmark
    public float[] apply(WeightTraffic traffic) {
        return rotation.apply(traffic);
    }
}
