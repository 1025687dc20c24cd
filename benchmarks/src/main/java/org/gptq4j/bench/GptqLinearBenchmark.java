package org.gptq4j.bench;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.GptqLinear;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.Kernels;
import org.gptq4j.kernel.Linear;

import org.openjdk.jmh.annotations.Param;

import java.lang.foreign.Arena;

/**
 * One GPTQ linear layer ({@link GptqLinear#apply}) on random weights: group size 128, act-order, format v1, repacked
 * at setup as a checkpoint load would. {@code rows = 1} is a decode step; more rows are a prefill chunk or a batched
 * decode step, which read the weights once for all rows.
 *
 * <p>Parameters: {@code backend} (native, java, float: {@link KernelBackend}), {@code bits} (4, 8), {@code shape}
 * ({@code INxOUT}: 4096x4096 is Llama-2-7B's attention projections, 4096x11008 gate/up, 11008x4096 down), {@code rows},
 * {@code threads} (0: {@link ComputePool#defaultThreads()}, one per physical core) and {@code copies} (below).
 *
 * <p>Reading the results (throughput, per second): the primary row is calls/s; {@code apply:weightBytes} is bytes of
 * weights read per second and {@code apply:flops} floating-point operations per second ({@code 2 * rows * in * out}
 * per call), both printed as "ops/s": divide by 1e9 for GB/s and GFLOP/s. Decode ({@code rows = 1}) is bound by the
 * weights' bandwidth, so GB/s is its figure; many rows move towards compute, so GFLOP/s is theirs.
 *
 * <p>Cache: one layer is 9 to 48 MB, which a large last-level cache holds between calls, so with {@code copies = 1}
 * the GB/s is cache bandwidth. A model's decode step reads each layer from memory (the other layers evicted it): to
 * measure that, set {@code copies} so that {@code copies * weightBytes} is several times the last-level cache; the
 * calls then cycle through that many distinct copies of the layer.
 */
public class GptqLinearBenchmark extends LinearBenchmark {
    private static final int GROUP_SIZE = 128;

    @Param({"native", "java", "float"})
    public String backend;

    @Param({"4", "8"})
    public int bits;

    @Param({"4096x4096", "4096x11008", "11008x4096"})
    public String shape;

    @Param({"1", "16", "64"})
    public int rows;

    @Override
    protected String backend() {
        return backend;
    }

    @Override
    protected String shape() {
        return shape;
    }

    @Override
    protected int rows() {
        return rows;
    }

    @Override
    protected Linear[] layers(Arena arena, int in, int out, Kernels kernels, int copies) {
        GptqLinear[] layers = new GptqLinear[copies];
        try (Arena stored = Arena.ofShared()) { // AutoGPTQ's tensors are only read by the repack
            GptqLinear.Stored s = RandomGptqLayer.stored(stored, in, out, bits, GROUP_SIZE, 42);
            for (int i = 0; i < copies; i++) layers[i] = GptqLinear.repack(s, in, out, bits, GROUP_SIZE, 1, arena, kernels);
        }
        if (layers[0].kernels() != kernels) throw new IllegalStateException("asked for " + kernels + ", got " + layers[0].kernels());
        return layers;
    }

    @Override
    protected String describe(Linear layer, Kernels kernels) {
        return layer.toString();
    }
}
