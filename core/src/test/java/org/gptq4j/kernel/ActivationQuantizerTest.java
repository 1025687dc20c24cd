package org.gptq4j.kernel;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The two-plane activation quantization: its error bound, and the native version's bits against the Java one. */
class ActivationQuantizerTest {

    /** Activations quantized for one layer: the planes, scales and sums of {@code rows} rows. */
    record Quantized(byte[] hi, byte[] lo, float[] e, int[] sums) {}

    private static Quantized java(float[] x, int rows, GptqLinear layer, int[] gather) {
        PackedGptq w = layer.packed();
        Quantized q = empty(rows, w);
        ActivationQuantizer.quantizeChunks(x, 0, rows * w.chunks(), w.in(), gather, w, q.hi, q.lo, q.e, q.sums);
        return q;
    }

    private static Quantized nativeCode(float[] x, int rows, GptqLinear layer, int[] gather) {
        PackedGptq w = layer.packed();
        NativePlanes planes = new NativePlanes().layOut(rows, w);
        int all = rows * w.chunks();
        NativeKernels.quantize(x, 0, all / 3, w.in(), gather, w, planes); // in two calls, as threads split it
        NativeKernels.quantize(x, all / 3, all, w.in(), gather, w, planes);
        return new Quantized(planes.hi().toArray(ValueLayout.JAVA_BYTE), planes.lo().toArray(ValueLayout.JAVA_BYTE),
                planes.e().toArray(ValueLayout.JAVA_FLOAT), planes.sums().toArray(ValueLayout.JAVA_INT));
    }

    private static Quantized empty(int rows, PackedGptq w) {
        return new Quantized(new byte[rows * w.nb() * 32], new byte[rows * w.nb() * 32], new float[rows * w.chunks()], new int[rows * w.chunks()]);
    }

    /** Gaussian rows, then rows made of ties for both roundings (amax 127 makes u = x: hi ties at k.5, lo ties at k.25). */
    private static float[] activations(int rows, int in) {
        float[] x = GptqKernelTest.activations(rows, in, 17);
        float[] ties = {0.5f, -0.5f, 2.5f, -2.5f, 126.5f, -126.5f, 3.25f, -3.25f, 2.75f, -2.75f, -0f, 0f, 1.0000001f, -0.49999997f};
        for (int k = 0; k < in; k++) x[in + k] = k % 9 == 0 ? (k % 2 == 0 ? 127f : -127f) : ties[k % ties.length];
        Arrays.fill(x, 2 * in, 3 * in, 0f);                          // a row of zeros: e = 0, planes 0
        for (int k = 0; k < in; k++) x[3 * in + k] *= k % 5 == 0 ? 1e-30f : 1e4f; // tiny and large magnitudes
        return x;
    }

    @Test
    void nativeQuantizationGivesTheJavaBits() {
        assumeTrue(NativeKernels.available(), NativeKernels.status());
        int in = 416, rows = 6;
        try (Arena arena = Arena.ofShared()) {
            for (int[] layout : new int[][]{{4, 128, 1}, {4, 128, 0}, {8, 128, 1}, {8, 128, 0}, {3, 32, 1}, {8, 48, 1}, {4, 48, 0}, {2, -1, 0}}) {
                int bits = layout[0], group = layout[1];
                boolean actOrder = layout[2] == 1;
                GptqKernelTest.Layer l = GptqKernelTest.layer(arena, in, 64, bits, group, actOrder, 1, 5);
                GptqLinear layer = GptqLinear.repack(l.stored(), in, 64, bits, group, 1, arena, KernelBackend.NATIVE);
                int[] gather = layer.gather(); // null where slots are features (8-bit storage without act-order)
                float[] x = activations(rows, in);
                Quantized expected = java(x, rows, layer, gather), actual = nativeCode(x, rows, layer, gather);
                String as = bits + "-bit group " + group + (actOrder ? " act-order" : "");
                assertThat(actual.hi).as(as).isEqualTo(expected.hi);
                assertThat(actual.lo).as(as).isEqualTo(expected.lo);
                assertThat(actual.e).as(as).isEqualTo(expected.e);
                assertThat(actual.sums).as(as).isEqualTo(expected.sums);
            }
        }
    }

    @Test
    void planesHoldEachActivationWithinHalfAStepAndSumToS() {
        int in = 416, rows = 6;
        try (Arena arena = Arena.ofShared()) {
            GptqKernelTest.Layer l = GptqKernelTest.layer(arena, in, 64, 4, 48, true, 1, 5); // act-order and padding slots
            GptqLinear layer = GptqLinear.repack(l.stored(), in, 64, 4, 48, 1, arena, KernelBackend.JAVA);
            PackedGptq w = layer.packed();
            int[] gather = gatherOf(layer);
            float[] x = activations(rows, in);
            Quantized q = java(x, rows, layer, gather);
            int padded = w.nb() * 32;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < w.chunks(); c++) {
                    float e = q.e[r * w.chunks() + c];
                    long sum = 0;
                    for (int s = w.chunkBlock()[c] * 32; s < w.chunkBlock()[c + 1] * 32; s++) {
                        int f = gather[s];
                        double value = f < 0 ? 0 : x[r * in + f], planes = (254.0 * q.hi[r * padded + s] + q.lo[r * padded + s]);
                        assertThat(Math.abs(value - e * planes)).as("row %d slot %d", r, s).isLessThanOrEqualTo(0.5 * e * 1.01 + 1e-37) /* half a step, and the rounding of x 127 / amax */;
                        if (f < 0) assertThat(planes).as("padding slot %d", s).isZero();
                        sum += 254L * q.hi[r * padded + s] + q.lo[r * padded + s];
                    }
                    assertThat(q.sums[r * w.chunks() + c]).as("S of row %d chunk %d", r, c).isEqualTo((int) sum);
                }
            }
        }
    }

    /** The slot-to-feature table of a layer (the identity spelled out where the layer keeps none). */
    private static int[] gatherOf(GptqLinear layer) {
        PackedGptq w = layer.packed();
        if (layer.gather() != null) return layer.gather();
        int[] identity = new int[w.nb() * 32];
        for (int s = 0; s < identity.length; s++) identity[s] = s < w.in() ? s : -1;
        return identity;
    }
}
