package org.gptq4j.io;

import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every way a safetensors file can lie about itself is refused with a {@link CheckpointException} that names the
 * file and, where one is concerned, the tensor.
 */
class SafetensorsFileRefusalTest {

    @TempDir
    Path dir;

    /** A well-formed one-tensor entry: {@code w}, four F32 values, bytes [0, 16). */
    private static final String W = "\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}";

    static Stream<Arguments> corruptHeaders() {
        return Stream.of(
                arguments("invalid JSON", "{" + W, 16, new String[]{"corrupt header", "not valid JSON"}),
                arguments("duplicate key", "{" + W + "," + W + "}", 16, new String[]{"not valid JSON", "Duplicate", "'w'"}),
                arguments("an array, not an object", "[1,2]", 0, new String[]{"expected a JSON object", "array"}),
                arguments("garbage after the object", "{" + W + "} x", 16, new String[]{"not valid JSON"}),
                arguments("metadata not an object", "{\"__metadata__\":[1]," + W + "}", 16, new String[]{"__metadata__ is not an object"}),
                arguments("metadata value not a string", "{\"__metadata__\":{\"format\":1}," + W + "}", 16, new String[]{"__metadata__.format is not a string"}),
                arguments("entry not an object", "{\"w\":5}", 0, new String[]{"tensor w", "not an object"}),
                arguments("missing dtype", "{\"w\":{\"shape\":[4],\"data_offsets\":[0,16]}}", 16, new String[]{"tensor w", "missing dtype"}),
                arguments("unknown dtype", "{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
                        new String[]{"tensor w", "unknown dtype 'Q4_K'", "known: F64, F32"}),
                arguments("missing shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", 16, new String[]{"tensor w", "missing shape"}),
                arguments("fractional dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,10]}}", 10,
                        new String[]{"tensor w", "dimension 2.5", "not a non-negative integer"}),
                arguments("negative dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16,
                        new String[]{"tensor w", "dimension -4", "not a non-negative integer"}),
                arguments("dimension as a string", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}}", 16,
                        new String[]{"tensor w", "dimension \"4\""}),
                arguments("dimension beyond 64 bits", "{\"w\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,1]}}", 1,
                        new String[]{"tensor w", "not a non-negative integer"}),
                arguments("element count overflows", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,16]}}", 16,
                        new String[]{"tensor w", "overflows"}),
                arguments("one offset", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16]}}", 16,
                        new String[]{"tensor w", "data_offsets must be two integers"}),
                arguments("fractional offset", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16.0]}}", 16,
                        new String[]{"tensor w", "data_offsets must be two integers"}),
                arguments("offsets as strings", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[\"0\",\"16\"]}}", 16,
                        new String[]{"tensor w", "data_offsets must be two integers"}),
                arguments("offsets reversed", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}", 16,
                        new String[]{"tensor w", "[16, 0] are not an interval"}),
                arguments("offsets past the data", "{" + W + "}", 8,
                        new String[]{"tensor w", "[0, 16] run past the data area of 8 bytes"}),
                arguments("byte size disagrees with shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16,
                        new String[]{"tensor w", "hold 16 bytes but shape [3] of F32 needs 12"}),
                arguments("overlapping tensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}", 12, new String[]{"tensors a [0, 8) and b [4, 12) overlap"}),
                arguments("a hole between tensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}", 12,
                        new String[]{"tensor b starts at byte 8 but tensor a ends at 4", "hole of 4 bytes"}),
                arguments("a hole before the first tensor", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8,
                        new String[]{"tensor a starts at byte 4", "hole of 4 bytes"}),
                arguments("bytes after the last tensor", "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 8,
                        new String[]{"the tensors cover 4 bytes but the data area holds 8", "after the last tensor, a"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptHeaders")
    void refusesCorruptHeader(String problem, String header, int dataBytes, String[] messageNames) {
        Path file = CheckpointCopy.rawSafetensors(dir.resolve("model.safetensors"), header, dataBytes);
        assertRefused(file, messageNames);
    }

    @Test
    void refusesEmptyFile() {
        Path file = dir.resolve("model.safetensors");
        CheckpointCopy.write(file, new byte[0]);
        assertRefused(file, "not a safetensors file (0 bytes");
    }

    @Test
    void refusesFileShorterThanTheHeaderLength() {
        Path file = dir.resolve("model.safetensors");
        CheckpointCopy.write(file, new byte[]{2, 0, 0, 0, 0});
        assertRefused(file, "5 bytes, shorter than the 8-byte header length");
    }

    @Test
    void refusesHeaderLengthBeyondTheFile() {
        Path file = dir.resolve("model.safetensors");
        CheckpointCopy.write(file, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put((byte) '{').put((byte) '}').array());
        assertRefused(file, "truncated file", "header of 1000 bytes does not fit in a file of 10 bytes");
    }

    @Test
    void refusesHeaderLengthOverTheReferenceBound() {
        Path file = dir.resolve("model.safetensors");
        CheckpointCopy.write(file, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001).put((byte) '{').put((byte) '}').array());
        assertRefused(file, "declared header length 100000001 is outside [2, 100000000]");
    }

    @Test
    void refusesHeaderLengthWithTheTopBitSet() {
        Path file = dir.resolve("model.safetensors");
        CheckpointCopy.write(file, ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).put((byte) '{').put((byte) '}').array());
        assertRefused(file, "declared header length 18446744073709551615 is outside");
    }

    @Test
    void refusesHeaderThatIsNotUtf8() {
        byte[] header = "{\"__metadata__\":{\"k\":\"?\"}}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        header[header.length - 4] = (byte) 0xC3; // a lone lead byte of a two-byte sequence
        Path file = CheckpointCopy.rawSafetensors(dir.resolve("model.safetensors"), header, 0);
        assertRefused(file, "corrupt header: not valid UTF-8");
    }

    @Test
    void refusesFixtureCutShort() throws IOException {
        Path file = CheckpointCopy.of(Fixtures.model(Fixtures.TINY, "main"), dir).resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() - 100);
        }
        assertRefused(file, "tensor ", "run past the data area", "truncated file?");
    }

    @Test
    void refusesMissingFile() {
        Path file = dir.resolve("absent.safetensors");
        assertRefused(file, "cannot read", "NoSuchFile");
    }

    private static void assertRefused(Path file, String... messageNames) {
        assertThat(Files.exists(file.getParent())).isTrue();
        assertThatThrownBy(() -> SafetensorsFile.open(file).close())
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContainingAll(messageNames);
    }
}
