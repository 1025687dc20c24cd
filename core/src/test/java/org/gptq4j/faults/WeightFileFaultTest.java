package org.gptq4j.faults;

import org.gptq4j.engine.Engine;
import org.gptq4j.io.CheckpointException;
import org.gptq4j.model.ConfigException;
import org.gptq4j.model.UnsupportedModelException;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Damaged weight files behind a whole engine start (config, checkpoint, repacking, tokenizer) and a short generation:
 * truncated files and flipped header bytes are refused with a {@link CheckpointException} (or a config error) that
 * names the file; flipped bytes inside tensor data may load (they are just other weights) but must never produce
 * anything but a result or a clear error.
 */
class WeightFileFaultTest {
    /** What a damaged checkpoint may be refused with: the loader's own, documented exceptions. */
    private static final Set<Class<? extends RuntimeException>> CLEAR = Set.of(CheckpointException.class,
            ConfigException.class, UnsupportedModelException.class);

    @TempDir
    Path folder;
    private Path weights;
    private byte[] original;
    private long headerEnd;

    @BeforeEach
    void copyFixture() throws IOException {
        try (var files = Files.list(Fixtures.model(Fixtures.TINY, "main"))) {
            for (Path f : files.toList()) Files.copy(f, folder.resolve(f.getFileName()));
        }
        weights = folder.resolve("model.safetensors");
        original = Files.readAllBytes(weights);
        headerEnd = 8 + ByteBuffer.wrap(original, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Cut inside the length prefix, inside the header, right after it, inside the data, one byte short. */
    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.00001, 0.5, 0.99999})
    void aTruncatedWeightFileIsRefusedNamingTheFile(double fraction) throws IOException {
        long cut = fraction == 0.0 ? 5 : Math.max(headerEnd / 2, (long) (original.length * fraction));
        truncate(cut);
        assertThatThrownBy(() -> TinyEngine.startAt(folder, 16)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(weights.toString());
    }

    @Test
    void aWeightFileCutRightAfterItsHeaderIsRefused() throws IOException {
        truncate(headerEnd);
        assertThatThrownBy(() -> TinyEngine.startAt(folder, 16)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void bitFlipsInTheHeaderAreRefusedClearlyOrHarmless() throws IOException {
        Random random = new Random(1);
        int refused = 0;
        for (int i = 0; i < 60; i++) {
            byte[] damaged = original.clone();
            int at = 8 + random.nextInt((int) headerEnd - 8);
            damaged[at] ^= (byte) (1 << random.nextInt(8));
            Files.write(weights, damaged);
            if (!startAndGenerate("header byte " + at)) refused++;
        }
        assertThat(refused).as("most header flips break the JSON or its checks").isGreaterThan(30);
    }

    @Test
    void bitFlipsInTensorDataLoadOrFailClearlyAndNeverCrash() throws IOException {
        Random random = new Random(2);
        for (int i = 0; i < 40; i++) {
            byte[] damaged = original.clone();
            for (int flip = 0; flip < 64; flip++) {
                int at = (int) (headerEnd + random.nextInt((int) (original.length - headerEnd)));
                damaged[at] ^= (byte) (1 << random.nextInt(8));
            }
            Files.write(weights, damaged);
            startAndGenerate("64 flipped data bits, round " + i);
        }
    }

    /**
     * Starts an engine on the damaged folder and generates 4 tokens. Returns true when it worked, false when the load
     * was refused with a documented exception carrying a message; anything else fails the test.
     */
    private boolean startAndGenerate(String damage) {
        Engine engine;
        try {
            engine = TinyEngine.startAt(folder, 16);
        } catch (RuntimeException e) {
            assertThat(CLEAR.stream().anyMatch(c -> c.isInstance(e))).as("%s: refused with %s", damage, e).isTrue();
            assertThat(e.getMessage()).isNotBlank();
            return false;
        }
        try (engine) {
            assertThat(engine.generate(TinyEngine.greedy(new int[] {1, 300, 301}, 4)).generatedTokenCount()).as(damage).isEqualTo(4);
            return true;
        }
    }

    private void truncate(long size) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(weights, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }
}
