package org.gptq4j.kernel;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    @Test
    void halvesWidenEveryFiniteF16AsFloat16ToFloatDoes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(65536L * Short.BYTES);
            for (int h = 0; h < 65536; h++) all.setAtIndex(ValueLayout.JAVA_SHORT, h, (short) h);
            int lanes = VectorMath.vectorBits() / 32, checked = 0;
            for (int h0 = 0; h0 < 65536; h0 += lanes) {
                float[] widened = VectorMath.halves(all, (long) h0 * Short.BYTES).toArray();
                for (int i = 0; i < lanes; i++) {
                    float expected = Float.float16ToFloat((short) (h0 + i));
                    if (!Float.isFinite(expected)) continue;
                    assertThat(Float.floatToRawIntBits(widened[i])).as("F16 0x%04x", h0 + i).isEqualTo(Float.floatToRawIntBits(expected));
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(65536 - 2 * 1024); // all but the infinities and NaNs: exponent bits all ones
        }
    }

    @Test
    void finiteF16FindsAnInfinityOrNaNWhereverItLies() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1000; // a tail past the last whole vector
            MemorySegment values = arena.allocate((long) n * Short.BYTES);
            for (int i = 0; i < n; i++) values.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(i * -65.5f)); // up to the largest F16
            assertThat(VectorMath.finiteF16(values)).isTrue();
            for (int at : new int[]{0, 17, n - 1}) { // in a vector, and in the tail
                for (short bad : new short[]{(short) 0x7C00, (short) 0xFC00, (short) 0x7E00, (short) 0xFFFF}) {
                    short kept = values.getAtIndex(ValueLayout.JAVA_SHORT, at);
                    values.setAtIndex(ValueLayout.JAVA_SHORT, at, bad);
                    assertThat(VectorMath.finiteF16(values)).as("0x%04x at %d", bad, at).isFalse();
                    values.setAtIndex(ValueLayout.JAVA_SHORT, at, kept);
                }
            }
        }
    }
}
