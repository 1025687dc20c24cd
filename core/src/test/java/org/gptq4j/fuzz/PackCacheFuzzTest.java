package org.gptq4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.gptq4j.kernel.CacheRun;
import org.gptq4j.kernel.PackCache;
import org.gptq4j.testing.Fixtures;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The repack cache ({@link PackCache}) of the tiny act-order model, with its bytes edited: every load either uses the
 * cache or falls back to repacking, never fails, never crashes, and its logits equal those of a load without a cache,
 * bit for bit.
 * <p>Input layout: edits applied in turn to the genuine cache file, each {@code op, position (3 bytes, little-endian,
 * taken modulo the current length + 1), count, count bytes}; op mod 4: 0 xor the bytes in, 1 overwrite with them,
 * 2 insert them, 3 truncate at the position. Edits rather than whole files, so that mutations reach the header's
 * numbers and the blobs without first having to rebuild a consistent file.
 */
class PackCacheFuzzTest {
    private static final Path MODEL = Fixtures.model(Fixtures.TINY, "main");
    private static final Path CACHE = Fuzz.folder("pack-cache");
    private static final float[] UNCACHED = CacheRun.run(MODEL, null).logits();
    private static final Path FILE;
    private static final byte[] GENUINE;

    static {
        CacheRun.run(MODEL, CACHE);
        FILE = CacheRun.files(CACHE).getFirst();
        FILE.toFile().deleteOnExit();
        try {
            GENUINE = Files.readAllBytes(FILE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void aCacheFileNeverChangesTheLogits(byte[] input) {
        Fuzz.write(FILE, edited(GENUINE, input));
        CacheRun.Result r = CacheRun.run(MODEL, CACHE);
        assertThat(r.logits()).as("logits after: %s", r.said()).containsExactly(UNCACHED);
    }

    /** The genuine bytes with the input's edits applied (see the class comment). */
    static byte[] edited(byte[] genuine, byte[] input) {
        byte[] file = genuine.clone();
        for (int i = 0; i + 5 <= input.length; ) {
            int op = input[i] & 3;
            int position = (input[i + 1] & 0xFF | (input[i + 2] & 0xFF) << 8 | (input[i + 3] & 0xFF) << 16) % (file.length + 1);
            int count = Math.min(input[i + 4] & 0xFF, input.length - i - 5);
            byte[] bytes = Arrays.copyOfRange(input, i + 5, i + 5 + count);
            i += 5 + count;
            switch (op) {
                case 0 -> {
                    for (int j = 0; j < count && position + j < file.length; j++) file[position + j] ^= bytes[j];
                }
                case 1 -> {
                    for (int j = 0; j < count && position + j < file.length; j++) file[position + j] = bytes[j];
                }
                case 2 -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(file.length + count);
                    out.write(file, 0, position);
                    out.write(bytes, 0, count);
                    out.write(file, position, file.length - position);
                    file = out.toByteArray();
                }
                default -> file = Arrays.copyOf(file, position);
            }
        }
        return file;
    }
}
