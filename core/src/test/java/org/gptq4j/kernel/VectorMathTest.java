package org.gptq4j.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class VectorMathTest {

    @Test
    void dotGivesTheSameBitsBeforeAndAfterTheJitCompilesIt() {
        SplittableRandom random = new SplittableRandom(42);
        float[] a = new float[4099], b = new float[4099];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
            b[i] = (float) random.nextGaussian() * 1e3f;
        }
        int first = Float.floatToRawIntBits(VectorMath.dot(a, 0, b, 0, a.length)); // interpreted
        for (int i = 0; i < 50_000; i++) {
            int again = Float.floatToRawIntBits(VectorMath.dot(a, 0, b, 0, a.length)); // compiled, eventually
            if (again != first) throw new AssertionError("call " + i + " gave different bits: " + again + " vs " + first);
        }
        double exact = 0;
        for (int i = 0; i < a.length; i++) exact += (double) a[i] * b[i];
        assertThat((double) Float.intBitsToFloat(first)).isCloseTo(exact, org.assertj.core.data.Offset.offset(Math.abs(exact) * 1e-4 + 1e-2));
    }
}
