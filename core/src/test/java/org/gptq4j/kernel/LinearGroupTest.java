package org.gptq4j.kernel;

import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Layers applied as a group give each layer's own bits, fused where they share an act-order permutation. */
class LinearGroupTest {
    private static ComputePool pool;

    @BeforeAll
    static void start() {
        pool = new ComputePool(3);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private static final int IN = 416;

    /** A layer with the weights of seed {@code seed} and the act-order g_idx of {@code permutation}'s layer. */
    private static GptqLinear layer(Arena arena, int out, int bits, long seed, GptqKernelTest.Layer permutation, KernelBackend backend) {
        GptqLinear.Stored s = GptqKernelTest.layer(arena, IN, out, bits, 128, true, 1, seed).stored();
        var stored = new GptqLinear.Stored("layer" + seed, s.qweight(), s.qzeros(), s.scales(), permutation.stored().gIdx(), null);
        return GptqLinear.repack(stored, IN, out, bits, 128, 1, arena, backend);
    }

    private static List<KernelBackend> int8Backends() {
        List<KernelBackend> backends = new ArrayList<>(List.of(KernelBackend.JAVA));
        if (NativeKernels.available()) backends.add(KernelBackend.NATIVE);
        return backends;
    }

    @Test
    void layersSharingAPermutationRunFusedWithTheBitsOfEachLayerAlone() {
        try (Arena arena = Arena.ofShared()) {
            GptqKernelTest.Layer shared = GptqKernelTest.layer(arena, IN, 96, 4, 128, true, 1, 1);
            for (KernelBackend backend : int8Backends()) {
                Linear[] parts = {layer(arena, 96, 4, 1, shared, backend), layer(arena, 40, 4, 2, shared, backend), layer(arena, 40, 4, 3, shared, backend)};
                LinearGroup group = LinearGroup.of(parts);
                assertThat(group.fused()).as(backend.name()).isTrue();
                assertSameAsAlone(group, parts, backend.name());
            }
        }
    }

    @Test
    void layersWithDifferentPermutationsOrKindsRunOneByOne() {
        try (Arena arena = Arena.ofShared()) {
            GptqKernelTest.Layer a = GptqKernelTest.layer(arena, IN, 64, 4, 128, true, 1, 1);
            GptqKernelTest.Layer b = GptqKernelTest.layer(arena, IN, 64, 4, 128, true, 1, 2);
            Linear[] permutations = {layer(arena, 64, 4, 1, a, KernelBackend.JAVA), layer(arena, 64, 4, 2, b, KernelBackend.JAVA)};
            LinearGroup differentPermutations = LinearGroup.of(permutations);
            assertThat(differentPermutations.fused()).isFalse();
            assertSameAsAlone(differentPermutations, permutations, "different permutations");

            Linear[] bits = {layer(arena, 64, 4, 1, a, KernelBackend.JAVA), layer(arena, 64, 8, 2, a, KernelBackend.JAVA)};
            assertThat(LinearGroup.of(bits).fused()).as("4- and 8-bit storage order slots differently").isFalse();
            assertSameAsAlone(LinearGroup.of(bits), bits, "4 and 8 bits");

            Linear[] floats = {layer(arena, 64, 4, 1, a, KernelBackend.FLOAT), layer(arena, 64, 4, 2, a, KernelBackend.FLOAT)};
            assertThat(LinearGroup.of(floats).fused()).as("float activations are not quantized").isFalse();

            MemorySegment w = arena.allocate((long) IN * 8 * 2);
            Linear[] mixed = {layer(arena, 64, 4, 1, a, KernelBackend.JAVA), new DenseLinear(new Tensor("w", DType.F16, new long[]{8, IN}, w), null, KernelBackend.JAVA)};
            assertThat(LinearGroup.of(mixed).fused()).isFalse();
            assertSameAsAlone(LinearGroup.of(mixed), mixed, "GPTQ and dense");
        }
    }

    @Test
    void refusesLayersOfDifferentInputsAndMissingOutputs() {
        try (Arena arena = Arena.ofShared()) {
            Linear wide = new DenseLinear(new Tensor("w", DType.F16, new long[]{8, IN}, arena.allocate((long) IN * 8 * 2)), null, KernelBackend.JAVA);
            Linear narrow = new DenseLinear(new Tensor("w", DType.F16, new long[]{8, 32}, arena.allocate(32 * 8 * 2)), null, KernelBackend.JAVA);
            assertThatThrownBy(() -> LinearGroup.of(wide, narrow)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("32 input features against 416");
            assertThatThrownBy(() -> LinearGroup.of(wide).apply(new float[IN], 1, pool, new float[8], new float[8]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 layers need as many outputs, got 2");
            assertThatThrownBy(LinearGroup::of).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /** Decode (1 row) and prefill (13 rows): every part's output through the group equals the part applied alone. */
    private static void assertSameAsAlone(LinearGroup group, Linear[] parts, String as) {
        for (int rows : new int[]{1, 13}) {
            float[] x = GptqKernelTest.activations(rows, IN, rows);
            float[][] ys = new float[parts.length][];
            for (int p = 0; p < parts.length; p++) ys[p] = new float[rows * parts[p].outFeatures()];
            group.apply(x, rows, pool, ys);
            for (int p = 0; p < parts.length; p++) {
                float[] alone = new float[rows * parts[p].outFeatures()];
                parts[p].apply(x, alone, rows, pool);
                assertThat(ys[p]).as("%s, layer %d, %d rows", as, p, rows).isEqualTo(alone);
            }
        }
    }
}
