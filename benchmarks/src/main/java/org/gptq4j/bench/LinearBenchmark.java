package org.gptq4j.bench;

import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelLevel;
import org.gptq4j.kernel.Kernels;
import org.gptq4j.kernel.Linear;
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
import java.util.concurrent.TimeUnit;

/**
 * What every linear-layer benchmark shares: the {@code threads} and {@code copies} parameters, the setup that builds
 * {@code copies} copies of the layer and cycles through them ({@link LayerRotation}), the native {@code level}, and the measured call. A
 * subclass names its own {@code backend}, {@code shape} ({@code INxOUT}) and {@code rows} parameters and builds the
 * layer.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public abstract class LinearBenchmark {
    @Param({"0"})
    public int threads;

    @Param({"1"})
    public int copies;

    /**
     * The native kernels' instruction-set level: {@code cpu} (the CPU's highest) or one of {@code avx2}, {@code avx-vnni},
     * {@code avx512}, {@code amx}, {@code neon}, {@code neon-dotprod}, {@code neon-i8mm} that this CPU runs (as
     * {@code bench --kernel-level}); ignored by the other backends.
     */
    @Param({"cpu"})
    public String level;

    private Arena arena;
    private LayerRotation rotation;

    protected abstract String backend();

    protected abstract String shape();

    protected abstract int rows();

    /** {@code copies} copies of the layer ({@code in x out}, on {@code kind}), their weights allocated in {@code arena}. */
    protected abstract Linear[] layers(Arena arena, int in, int out, Kernels kernels, int copies);

    /** The layer, as the setup line names it. */
    protected abstract String describe(Linear layer, Kernels kernels);

    @Setup(Level.Trial)
    public void setUp() {
        KernelBackend kind = BenchParams.backend(backend());
        int[] dims = BenchParams.inOut(shape());
        if (copies < 1) throw new IllegalArgumentException("copies must be >= 1, got " + copies);
        KernelLevel cap = kind == KernelBackend.NATIVE && !level.equals("cpu") ? NativeKernels.requireLevel(KernelLevel.of(level)) : KernelLevel.highest();
        Kernels kernels = Kernels.of(kind, cap);
        arena = Arena.ofShared();
        Linear[] layers = layers(arena, dims[0], dims[1], kernels, copies);
        rotation = new LayerRotation(layers, rows(), threads);
        System.out.println("# " + describe(layers[0], kernels) + ", " + rotation.describe() + "; " + NativeKernels.status());
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
