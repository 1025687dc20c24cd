package org.gptq4j.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link Kernels#dot} (the norms' and Java dense products' dot) of every backend against a float64 reference, over
 * lengths with and without a tail after the 8- and 16-wide chunks and at offsets into both arrays: the native kernels'
 * plain-Java dot as well as the Vector API one.
 */
class KernelsDotTest {

    @Test
    void everyBackendsDotMatchesAFloat64ReferenceWithAndWithoutATail() {
        List<KernelBackend> backends = new ArrayList<>(List.of(KernelBackend.JAVA, KernelBackend.FLOAT));
        if (NativeKernels.available()) backends.add(KernelBackend.NATIVE);
        SplittableRandom random = new SplittableRandom(7);
        float[] a = new float[300], b = new float[300];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
            b[i] = (float) random.nextGaussian();
        }
        for (int n : new int[]{0, 1, 7, 8, 9, 15, 16, 17, 64, 255, 288}) {
            int ao = 3, bo = 11;
            double exact = 0, magnitude = 0;
            for (int i = 0; i < n; i++) {
                exact += (double) a[ao + i] * b[bo + i];
                magnitude += Math.abs((double) a[ao + i] * b[bo + i]);
            }
            for (KernelBackend backend : backends) {
                float dot = Kernels.of(backend).dot(a, ao, b, bo, n);
                assertThat((double) dot).as("%s n %d", backend, n).isCloseTo(exact, within(1e-6 * (1 + magnitude)));
            }
        }
    }
}
