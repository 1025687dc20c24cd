package org.gptq4j.bench;

import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;
import org.gptq4j.kernel.DenseLinear;
import org.gptq4j.kernel.Kernels;
import org.gptq4j.kernel.Linear;

import org.openjdk.jmh.annotations.Param;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

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
public class DenseLinearBenchmark extends LinearBenchmark {
    @Param({"native", "java"})
    public String backend;

    @Param({"4096x32000"})
    public String shape;

    @Param({"1", "16"})
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
        DenseLinear[] layers = new DenseLinear[copies];
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
            layers[c] = new DenseLinear(new Tensor("lm_head.weight", DType.F16, new long[]{out, in}, w), null, kernels);
        }
        return layers;
    }

    @Override
    protected String describe(Linear layer, Kernels kernels) {
        return "dense F16 " + layer.inFeatures() + "x" + layer.outFeatures() + " " + kernels;
    }
}
