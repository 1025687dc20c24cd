package org.gptq4j.io;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unquantized Llama checkpoints load in F16, BF16 and F32. The BF16 and F32 copies of stories260K's fp16 branch are
 * made here by a converter independent of the loader, and must predict the same next tokens as the F16 original.
 */
class UnquantizedCheckpointTest {

    /** BOS followed by the start of the golden greedy story, "Once upon a time, ...". */
    private static final int[] IDS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267};

    private static float[][] f16;

    @BeforeAll
    static void runOriginal() {
        f16 = ModelRun.logits(Fixtures.model(Fixtures.STORIES, "fp16"), IDS);
        // The fixture's own greedy continuation, as a check that the original runs right before comparing to it.
        for (int p = 0; p + 1 < IDS.length; p++) assertThat(ModelRun.argmax(f16[p])).isEqualTo(IDS[p + 1]);
    }

    @Test
    void f32CopyGivesTheSameLogits(@TempDir Path dir) {
        Path folder = copyAs(dir, DType.F32);
        float[][] f32 = ModelRun.logits(folder, IDS);
        // F16 -> F32 is exact, so only summation order could differ.
        for (int p = 0; p < IDS.length; p++) {
            assertThat(f32[p]).containsExactly(f16[p], org.assertj.core.data.Offset.offset(1e-4f));
        }
    }

    @Test
    void bf16CopyPredictsTheSameTokens(@TempDir Path dir) {
        Path folder = copyAs(dir, DType.BF16);
        float[][] bf16 = ModelRun.logits(folder, IDS);
        // BF16 keeps 8 mantissa bits of F16's 11: tokens agree wherever F16's lead is clear of that rounding.
        List<Integer> clear = IntStream.range(0, IDS.length).filter(p -> ModelRun.margin(f16[p]) > 0.5f).boxed().toList();
        assertThat(clear).hasSizeGreaterThan(IDS.length / 2);
        for (int p : clear) {
            assertThat(ModelRun.argmax(bf16[p])).as("position %d", p).isEqualTo(ModelRun.argmax(f16[p]));
        }
    }

    /** A copy of the fp16 branch whose every F16 tensor is converted to {@code target}. */
    private static Path copyAs(Path dir, DType target) {
        Path folder = CheckpointCopy.of(Fixtures.model(Fixtures.STORIES, "fp16"), dir);
        CheckpointCopy.editTensors(folder.resolve("model.safetensors"), entries -> {
            try (SafetensorsFile original = SafetensorsFile.open(Fixtures.model(Fixtures.STORIES, "fp16").resolve("model.safetensors"))) {
                entries.replaceAll(e -> convert(original.tensors().get(e.name()), target));
            }
        });
        try (SafetensorsFile converted = SafetensorsFile.open(folder.resolve("model.safetensors"))) {
            assertThat(converted.tensors().values()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(target));
        }
        return folder;
    }

    private static SafetensorsWriter.Entry convert(Tensor t, DType target) {
        assertThat(t.dtype()).isEqualTo(DType.F16);
        short[] half = new short[Math.toIntExact(t.elementCount())];
        ByteBuffer.wrap(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(half);
        ByteBuffer out = ByteBuffer.allocate(half.length * target.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (short h : half) {
            float f = Float.float16ToFloat(h);
            if (target == DType.F32) out.putFloat(f);
            else out.putShort(toBf16(f));
        }
        byte[] bytes = out.array();
        return new SafetensorsWriter.Entry(t.name(), target, t.shape().clone(), o -> o.write(bytes));
    }

    /** float32 -> bfloat16, rounding to nearest even (no NaNs in weights). */
    private static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
