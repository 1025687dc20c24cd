package org.gptq4j.kernel;

import org.gptq4j.kv.KvLayout;
import org.gptq4j.kv.KvPrecision;
import org.gptq4j.kv.PagedKvCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Attention over a paged cache of either precision, every backend against a float64 reference over the stored elements. */
class AttentionTest {

    @ParameterizedTest
    @EnumSource(KvPrecision.class)
    void everyBackendMatchesAFloat64ReferenceOverScatteredBlocks(KvPrecision precision) {
        List<KernelBackend> backends = new ArrayList<>(List.of(KernelBackend.JAVA, KernelBackend.FLOAT));
        if (NativeKernels.available()) backends.add(KernelBackend.NATIVE);
        int blockSize = 4, capacity = 40;
        Random rnd = new Random(11);
        int[] blocks = {17, 3, 39, 0, 22, 8, 31, 5, 12, 26}; // scattered, room for 40 positions
        for (int hd : new int[]{36, 100, 8}) { // 36 and 100: tails after 32 and 96 dimensions
            KvLayout layout = new KvLayout(2, 3, hd, blockSize, capacity, precision);
            try (PagedKvCache cache = new PagedKvCache(layout)) {
                float[] k = new float[hd], v = new float[hd];
                for (long at = 0; at < layout.elements(); at += hd) { // every head of every position of both layers
                    for (int i = 0; i < hd; i++) {
                        k[i] = (float) rnd.nextGaussian();
                        v[i] = (float) rnd.nextGaussian();
                    }
                    cache.write(at, k, 0, v, 0, hd);
                }
                for (int pos : new int[]{0, 1, 6, 37}) {
                    float[] q = new float[hd + 5];
                    float sharp = hd == 8 ? 40 : 1; // hd 8: scores far apart, exp underflows for most positions
                    for (int i = 0; i < q.length; i++) q[i] = sharp * (float) rnd.nextGaussian();
                    long base = layout.headBase(1, 1);
                    double[] expected = reference(q, 5, cache, base, blocks, blockSize, hd, pos);
                    for (KernelBackend backend : backends) {
                        float[] out = new float[hd + 3];
                        Kernels.of(backend).attend(cache, base, blocks, hd, pos, q, 5, new float[pos + 1], out, 3);
                        for (int d = 0; d < hd; d++) {
                            assertThat((double) out[3 + d]).as("%s %s hd %d pos %d dim %d", precision, backend, hd, pos, d)
                                    .isCloseTo(expected[d], within(1e-5 * (1 + Math.abs(expected[d]))));
                        }
                    }
                }
            }
        }
    }

    private static double[] reference(float[] q, int qo, PagedKvCache cache, long base, int[] blocks,
                                      int blockSize, int hd, int pos) {
        double[] s = new double[pos + 1];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int p = 0; p <= pos; p++) {
            long at = base + ((long) blocks[p / blockSize] * blockSize + p % blockSize) * hd;
            for (int d = 0; d < hd; d++) s[p] += (double) q[qo + d] * cache.key(at + d);
            s[p] /= Math.sqrt(hd);
            max = Math.max(max, s[p]);
        }
        for (int p = 0; p <= pos; p++) sum += s[p] = Math.exp(s[p] - max);
        double[] out = new double[hd];
        for (int p = 0; p <= pos; p++) {
            long at = base + ((long) blocks[p / blockSize] * blockSize + p % blockSize) * hd;
            for (int d = 0; d < hd; d++) out[d] += s[p] / sum * cache.value(at + d);
        }
        return out;
    }
}
