package org.gptq4j.kernel;

import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every backend against a scalar float64 reference that dequantizes the stored GPTQ tensors directly, over every
 * layout family: bits 2/3/4/8, group sizes that are and are not multiples of 32, act-order or not, v1/v2 zeros,
 * decode (1 row) and prefill (several rows, including a tile remainder).
 */
class GptqKernelTest {
    private static ComputePool pool;

    @BeforeAll
    static void start() {
        pool = new ComputePool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    static Stream<Arguments> layouts() {
        List<Arguments> out = new ArrayList<>();
        for (int bits : new int[]{2, 3, 4, 8}) {
            for (int group : new int[]{32, 128, -1, 48}) {
                for (boolean actOrder : new boolean[]{false, true}) {
                    for (int rows : new int[]{1, 7, 21}) out.add(Arguments.of(bits, group, actOrder, rows));
                }
            }
        }
        return out.stream();
    }

    /** A random layer in AutoGPTQ's storage: qweight/qzeros random bit streams, positive F16 scales, g_idx. */
    record Layer(int in, int out, int bits, int group, int[] gIdx, int zeroOffset, GptqLinear.Stored stored) {
        /** W[k][n] = scale[g][n] * (q[k][n] - (zero[g][n] + zeroOffset)), g = g_idx[k], in float64. */
        double weight(int k, int n) {
            int g = gIdx[k];
            double s = stored.scales().getFloat((long) g * out + n);
            int q = bitsAt(stored.qweight().data(), out, (long) k * bits, n, bits);
            int z = bitsAt(stored.qzeros().data(), 1, (long) n * bits, 0, bits, (long) g * (out * bits / 32));
            return s * (q - (z + zeroOffset));
        }
    }

    /** Bits [bit, bit+width) of column `col` of a [words][stride] int32 matrix read as a little-endian stream per column. */
    static int bitsAt(MemorySegment words, int stride, long bit, int col, int width) {
        return bitsAt(words, stride, bit, col, width, 0);
    }

    static int bitsAt(MemorySegment words, int stride, long bit, int col, int width, long base) {
        int v = 0;
        for (int i = 0; i < width; i++) {
            long b = bit + i;
            int word = words.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, base + (b >>> 5) * stride + col);
            v |= ((word >>> (b & 31)) & 1) << i;
        }
        return v;
    }

    static Layer layer(Arena arena, int in, int out, int bits, int group, boolean actOrder, int zeroOffset, long seed) {
        Random rnd = new Random(seed);
        int groups = group == -1 ? 1 : (in + group - 1) / group;
        MemorySegment qw = arena.allocate((long) in * bits / 32 * out * 4);
        for (long i = 0; i < qw.byteSize() / 4; i++) qw.setAtIndex(ValueLayout.JAVA_INT, i, rnd.nextInt());
        MemorySegment qz = arena.allocate((long) groups * out * bits / 32 * 4);
        for (long i = 0; i < qz.byteSize() / 4; i++) qz.setAtIndex(ValueLayout.JAVA_INT, i, rnd.nextInt());
        MemorySegment sc = arena.allocate((long) groups * out * 2);
        for (long i = 0; i < (long) groups * out; i++) {
            sc.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((0.5f + rnd.nextFloat()) / (1 << bits)));
        }
        int[] gIdx = new int[in];
        for (int k = 0; k < in; k++) gIdx[k] = group == -1 ? 0 : k / group;
        if (actOrder) { // a random permutation of the group assignment, as GPTQ's act-order leaves it
            for (int k = in - 1; k > 0; k--) {
                int j = rnd.nextInt(k + 1), t = gIdx[k];
                gIdx[k] = gIdx[j];
                gIdx[j] = t;
            }
        }
        MemorySegment gi = arena.allocate((long) in * 4);
        for (int k = 0; k < in; k++) gi.setAtIndex(ValueLayout.JAVA_INT, k, gIdx[k]);
        var stored = new GptqLinear.Stored("test",
                new Tensor("qweight", DType.I32, new long[]{in * bits / 32, out}, qw),
                new Tensor("qzeros", DType.I32, new long[]{groups, out * bits / 32}, qz),
                new Tensor("scales", DType.F16, new long[]{groups, out}, sc),
                new Tensor("g_idx", DType.I32, new long[]{in}, gi), null);
        return new Layer(in, out, bits, group, gIdx, zeroOffset, stored);
    }

    static double[] reference(Layer l, float[] x, int rows) {
        double[] y = new double[rows * l.out];
        for (int n = 0; n < l.out; n++) {
            for (int k = 0; k < l.in; k++) {
                double w = l.weight(k, n);
                for (int r = 0; r < rows; r++) y[r * l.out + n] += w * x[r * l.in + k];
            }
        }
        return y;
    }

    static float[] activations(int rows, int in, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[rows * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    @ParameterizedTest(name = "bits={0} group={1} actOrder={2} rows={3}")
    @MethodSource("layouts")
    void everyBackendMatchesTheReference(int bits, int group, boolean actOrder, int rows) {
        int in = 416, out = 96; // 13 blocks: odd block counts per group exercise the AVX-512 half step
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(arena, in, out, bits, group, actOrder, bits == 8 ? 0 : 1, 31L * bits + group + (actOrder ? 7 : 0));
            float[] x = activations(rows, in, 5);
            double[] ref = reference(l, x, rows);
            for (String variant : new String[]{"float", "java", "native1", "native2", "native3", "native4", "native5", "native6", "native7"}) {
                KernelBackend backend = variant.startsWith("native") ? KernelBackend.NATIVE : KernelBackend.valueOf(variant.toUpperCase());
                if (backend == KernelBackend.NATIVE && !NativeKernels.available()) continue;
                int level = variant.startsWith("native") ? variant.charAt(6) - '0' : 3;
                if (backend == KernelBackend.NATIVE && !NativeKernels.levels().contains(KernelLevel.ofNumber(level))) continue;
                // AVX2, AVX-VNNI, AVX-512 and AMX paths of the native kernel (NEON, sdot and i8mm on aarch64), where the CPU has them
                Kernels kernels = Kernels.of(backend, KernelLevel.ofNumber(level));
                GptqLinear lin = GptqLinear.repack(l.stored, in, out, bits, group, l.zeroOffset, arena, kernels);
                float[] y = new float[rows * out];
                lin.apply(x, y, rows, pool);
                double err = 0, norm = 0, worst = 0;
                for (int i = 0; i < y.length; i++) {
                    err += (y[i] - ref[i]) * (y[i] - ref[i]);
                    norm += ref[i] * ref[i];
                    worst = Math.max(worst, Math.abs(y[i] - ref[i]) / (1e-3 + Math.abs(ref[i])));
                }
                double rel = Math.sqrt(err / norm);
                if (backend.int8Activations()) {
                    // two int8 planes per 128 positions: ~15-bit activations
                    assertThat(rel).as("%s relative L2 error", variant).isLessThan(2e-4);
                } else {
                    assertThat(rel).as("%s relative L2 error", variant).isLessThan(1e-5);
                }
            }
        }
    }

    /**
     * The int8-activation product is defined in exact integers plus one float step per chunk, so every path gives the
     * same bits: Java and each native level, and a token alone or in any batch (what makes a preempted, recomputed
     * sequence reproduce its tokens).
     */
    @ParameterizedTest(name = "bits={0} group={1}")
    @MethodSource("bitExactLayouts")
    void everyInt8PathGivesTheSameBitsForATokenAloneOrInABatch(int bits, int group) {
        int in = 416, out = 96, rows = 37; // 96 rows over 5 threads: odd slices; 37 tokens: partial tiles
        try (Arena arena = Arena.ofShared(); ComputePool pool = new ComputePool(5)) {
            Layer l = layer(arena, in, out, bits, group, true, 1, bits * 7L + group);
            float[] x = activations(rows, in, 9);
            GptqLinear javaLayer = GptqLinear.repack(l.stored, in, out, bits, group, 1, arena, KernelBackend.JAVA);
            float[] expected = new float[rows * out];
            javaLayer.apply(x, expected, rows, pool);
            List<String> paths = new ArrayList<>(List.of("java"));
            for (KernelLevel level : NativeKernels.levels()) paths.add("native" + level.number());
            for (String path : paths) {
                GptqLinear lin = path.equals("java") ? javaLayer : GptqLinear.repack(l.stored, in, out, bits, group, 1, arena,
                        Kernels.of(KernelBackend.NATIVE, KernelLevel.ofNumber(path.charAt(6) - '0')));
                float[] batch = new float[rows * out];
                lin.apply(x, batch, rows, pool);
                for (int r = 0; r < rows; r++) {
                    float[] alone = new float[out];
                    lin.apply(Arrays.copyOfRange(x, r * in, (r + 1) * in), alone, 1, pool);
                    for (int n = 0; n < out; n++) {
                        assertThat(batch[r * out + n]).as("%s token %d of %d, output %d", path, r, rows, n).isEqualTo(expected[r * out + n]);
                        assertThat(alone[n]).as("%s token %d alone, output %d", path, r, n).isEqualTo(expected[r * out + n]);
                    }
                }
            }
        }
    }

    /**
     * The Java kernel sums its integer products in float32 lanes, exact only below 2^24: codes at their extremes
     * (0 or the largest) against activations at full scale must still give the product's definition
     * ({@link #int8Reference}).
     */
    @ParameterizedTest(name = "bits={0} group={1}")
    @MethodSource("extremeLayouts")
    void theJavaProductStaysExactAtExtremeCodesAndActivations(int bits, int group) {
        int in = 1024, out = 24, rows = 3;
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(arena, in, out, bits, group, true, 1, 77L * bits + group);
            Random rnd = new Random(3);
            MemorySegment qw = l.stored.qweight().data(); // every code 0 or 2^bits - 1
            int ones = bits == 8 ? 0x01010101 : 0x11111111, max = (1 << bits) - 1; // a 1 in each code's lowest bit, times the largest code
            for (long i = 0; i < qw.byteSize() / 4; i++) qw.setAtIndex(ValueLayout.JAVA_INT, i, (rnd.nextInt() & ones) * max);
            float[] x = new float[rows * in]; // |x| within 0.5% of the chunk maximum: hi = +-126 or +-127
            for (int i = 0; i < x.length; i++) x[i] = (rnd.nextBoolean() ? 1 : -1) * (0.995f + 0.005f * rnd.nextFloat());
            GptqLinear lin = GptqLinear.repack(l.stored, in, out, bits, group, 1, arena, KernelBackend.JAVA);
            float[] y = new float[rows * out];
            lin.apply(x, y, rows, pool);
            assertThat(y).containsExactly(int8Reference(lin, x, rows));
        }
    }

    /**
     * The int8-activation product as the kernels define it, one output at a time in scalar Java: per chunk
     * {@code V = sum code * (254 hi + lo)} in longs, then the chunk's float step.
     */
    static float[] int8Reference(GptqLinear lin, float[] x, int rows) {
        PackedGptq w = lin.packed();
        int in = w.in(), out = w.out(), padded = w.nb() * 32, chunks = w.chunks();
        byte[] hi = new byte[rows * padded], lo = new byte[rows * padded];
        float[] e = new float[rows * chunks];
        int[] sums = new int[rows * chunks];
        ActivationQuantizer.quantizeChunks(x, 0, rows * chunks, in, lin.gather(), w, hi, lo, e, sums);
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int n = 0; n < out; n++) {
                float acc = 0;
                for (int c = 0; c < chunks; c++) {
                    long v = 0;
                    for (int slot = 32 * w.chunkBlock()[c]; slot < 32 * w.chunkBlock()[c + 1]; slot++) {
                        v += (long) w.code(n, w.slotPosition(slot)) * (254 * hi[r * padded + slot] + lo[r * padded + slot]);
                    }
                    int g = w.chunkGroup()[c], rc = r * chunks + c;
                    acc = Math.fma(Math.fma(-w.zero(n, g), (float) sums[rc], (float) v), w.scale(n, g) * e[rc], acc);
                }
                y[r * out + n] = acc;
            }
        }
        return y;
    }

    /**
     * The Java tiles convert the F16 scales with integer operations (InterleavedParams): every kind of finite F16
     * (subnormal, signed zero, negative, the largest) gives {@link Float#float16ToFloat}'s bits, in the row kernels
     * (one token) and the tiles (four), at both code widths.
     */
    @ParameterizedTest(name = "bits={0}")
    @ValueSource(ints = {4, 8})
    void theJavaKernelsReadEveryKindOfF16Scale(int bits) {
        int in = 256, out = 40, group = 128;
        short[] kinds = {0x0001, 0x03FF, (short) 0x8001, 0x0000, (short) 0x8000, 0x0400, 0x7BFF, (short) 0xFBFF,
                (short) 0xBC00, 0x3555, (short) 0x83FF, 0x2E66};
        try (Arena arena = Arena.ofShared()) {
            Layer l = layer(arena, in, out, bits, group, true, 1, 5L * bits);
            MemorySegment sc = l.stored.scales().data();
            for (long i = 0; i < sc.byteSize() / 2; i++) sc.setAtIndex(ValueLayout.JAVA_SHORT, i, kinds[(int) (i % kinds.length)]);
            GptqLinear lin = GptqLinear.repack(l.stored, in, out, bits, group, 1, arena, KernelBackend.JAVA);
            for (int rows : new int[]{1, 5}) {
                float[] x = activations(rows, in, rows);
                float[] y = new float[rows * out];
                lin.apply(x, y, rows, pool);
                assertThat(y).as("%d tokens", rows).containsExactly(int8Reference(lin, x, rows));
            }
        }
    }

    static Stream<Arguments> extremeLayouts() {
        return Stream.of(Arguments.of(4, 128), Arguments.of(8, 128), Arguments.of(8, -1), Arguments.of(4, 32));
    }

    static Stream<Arguments> bitExactLayouts() {
        return Stream.of(Arguments.of(4, 128), Arguments.of(8, 128), Arguments.of(3, 32), Arguments.of(2, -1), Arguments.of(8, 48));
    }

    /** An infinite F16 weight, which the Java products' vector widening has no form for, keeps its value on every backend. */
    @Test
    void denseF16WithAnInfiniteWeightGivesAnInfiniteOutputOnEveryBackend() {
        int in = 64, out = 8;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate((long) in * out * 2);
            float[][] weights = new float[out][in];
            for (int n = 0; n < out; n++) {
                for (int k = 0; k < in; k++) {
                    short h = Float.floatToFloat16(n == 5 && k == 9 ? Float.POSITIVE_INFINITY : 0.01f * (k - n));
                    w.setAtIndex(ValueLayout.JAVA_SHORT, (long) n * in + k, h);
                    weights[n][k] = Float.float16ToFloat(h);
                }
            }
            Tensor t = new Tensor("w", DType.F16, new long[]{out, in}, w);
            float[] x = new float[in];
            Arrays.fill(x, 1f);
            List<Kernels> all = new ArrayList<>(List.of(Kernels.of(KernelBackend.JAVA), Kernels.of(KernelBackend.FLOAT)));
            for (KernelLevel level : NativeKernels.levels()) all.add(Kernels.of(KernelBackend.NATIVE, level));
            for (Kernels kernels : all) {
                assertThat(kernels.widensF16InVectors(t)).as("%s", kernels).isFalse();
                float[] y = new float[out];
                new DenseLinear(t, null, kernels).apply(x, y, 1, pool);
                assertThat(y[5]).as("%s", kernels).isEqualTo(Float.POSITIVE_INFINITY);
                for (int n = 0; n < out; n++) {
                    if (n != 5) assertThat(y[n]).as("%s n%d", kernels, n).isFinite();
                    if (!kernels.nativeCode()) assertThat(y[n]).as("%s n%d = dot", kernels, n).isEqualTo(kernels.dot(weights[n], 0, x, 0, in) + 0f);
                }
            }
        }
    }

    /** Every backend and native level against float64, with a bias; and each token's outputs alone = in the batch. */
    @Test
    void denseF16BackendsAgreeAndGiveATokenTheSameBitsAloneOrInABatch() {
        int in = 200, out = 70, rows = 9; // in: a partial 16-wide step; 35 rows a thread: a partial row block; 9 tokens: 4+4+1
        try (Arena arena = Arena.ofShared()) {
            Random rnd = new Random(3);
            MemorySegment w = arena.allocate((long) in * out * 2);
            float[][] weights = new float[out][in]; // W as floats: the reference's (in doubles) and the Java products' operand
            for (int n = 0; n < out; n++) {
                for (int k = 0; k < in; k++) {
                    short h = Float.floatToFloat16((float) rnd.nextGaussian());
                    w.setAtIndex(ValueLayout.JAVA_SHORT, (long) n * in + k, h);
                    weights[n][k] = Float.float16ToFloat(h);
                }
            }
            float[] bias = new float[out];
            for (int n = 0; n < out; n++) bias[n] = (float) rnd.nextGaussian();
            Tensor t = new Tensor("w", DType.F16, new long[]{out, in}, w);
            float[] x = activations(rows, in, 4);
            List<String> paths = new ArrayList<>(List.of("java", "float"));
            for (KernelLevel level : NativeKernels.levels()) paths.add("native" + level.number());
            for (String path : paths) {
                KernelBackend backend = path.equals("java") ? KernelBackend.JAVA : path.equals("float") ? KernelBackend.FLOAT : KernelBackend.NATIVE;
                Kernels kernels = Kernels.of(backend, backend == KernelBackend.NATIVE ? KernelLevel.ofNumber(path.charAt(6) - '0') : KernelLevel.AMX);
                DenseLinear dense = new DenseLinear(t, bias, kernels);
                assertThat(kernels.widensF16InVectors(t)).as("%s reads the F16 values in vectors", path).isEqualTo(backend != KernelBackend.NATIVE);
                float[] y = new float[rows * out];
                dense.apply(x, y, rows, pool);
                for (int r = 0; r < rows; r++) {
                    float[] alone = new float[out];
                    dense.apply(Arrays.copyOfRange(x, r * in, (r + 1) * in), alone, 1, pool);
                    for (int n = 0; n < out; n++) {
                        double e = bias[n];
                        for (int k = 0; k < in; k++) e += (double) weights[n][k] * x[r * in + k];
                        assertThat((double) y[r * out + n]).as("%s r%d n%d", path, r, n).isCloseTo(e, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(e))));
                        assertThat(alone[n]).as("%s r%d n%d alone", path, r, n).isEqualTo(y[r * out + n]);
                        if (backend != KernelBackend.NATIVE) { // the Java product: each output is the kernels' dot, bit for bit
                            assertThat(y[r * out + n]).as("%s r%d n%d = dot", path, r, n).isEqualTo(kernels.dot(weights[n], 0, x, r * in, in) + bias[n]);
                        }
                    }
                }
            }
        }
    }
}
