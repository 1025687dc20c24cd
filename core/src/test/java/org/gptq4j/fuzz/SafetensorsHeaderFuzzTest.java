package org.gptq4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.gptq4j.io.CheckpointException;
import org.gptq4j.io.SafetensorsFile;
import org.gptq4j.io.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * {@link SafetensorsFile#open} on arbitrary bytes: a clear {@link CheckpointException} or a file whose every tensor
 * lies inside the mapping (each tensor's first and last byte is read back).
 * <p>Input layout, so that mutations reach the JSON validation instead of dying on the length prefix: first byte
 * even, the rest is the file as is; first byte odd, the rest is the header JSON and the file is built as
 * {@code u64le(len) + header + data}, where data is {@code (first byte >> 1) * 8} zero bytes.
 */
class SafetensorsHeaderFuzzTest {
    private static final Path FILE = Fuzz.folder("safetensors").resolve("fuzz.safetensors");

    @FuzzTest(maxDuration = "20s")
    void openNeverFailsUnclearly(byte[] input) {
        Fuzz.write(FILE, fileOf(input));
        Fuzz.expectOnly(() -> {
            try (SafetensorsFile file = SafetensorsFile.open(FILE)) {
                for (Tensor t : file.tensors().values()) touch(t.data());
            }
        }, CheckpointException.class);
    }

    /** Reads the first and last byte of a tensor's bytes (an out-of-mapping slice would throw here). */
    private static void touch(MemorySegment data) {
        if (data.byteSize() == 0) return;
        data.get(ValueLayout.JAVA_BYTE, 0);
        data.get(ValueLayout.JAVA_BYTE, data.byteSize() - 1);
    }

    /** The file an input stands for (see the class comment). */
    static byte[] fileOf(byte[] input) {
        if (input.length == 0 || (input[0] & 1) == 0) return input.length == 0 ? input : java.util.Arrays.copyOfRange(input, 1, input.length);
        int header = input.length - 1, data = ((input[0] & 0xFF) >> 1) * 8;
        return ByteBuffer.allocate(8 + header + data).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header).put(input, 1, header).array();
    }
}
