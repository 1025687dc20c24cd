package org.gptq4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What a valid file may look like: the validation refuses lies, not legitimate layouts. */
class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void readsTensorsWhateverTheirOrderInTheHeader() {
        // b is listed first but stored second; the header is padded with spaces as writers do.
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ";
        Path file = CheckpointCopy.rawSafetensors(dir.resolve("x.safetensors"), header, 12);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensors().keySet()).containsExactly("b", "a");
            assertThat(f.tensors().get("a").shape()).containsExactly(2);
            assertThat(f.tensors().get("b").data().byteSize()).isEqualTo(4);
            assertThat(f.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void acceptsAnEmptyHeaderAndZeroSizedTensors() {
        Path empty = CheckpointCopy.rawSafetensors(dir.resolve("empty.safetensors"), "{}", 0);
        try (SafetensorsFile f = SafetensorsFile.open(empty)) {
            assertThat(f.tensors()).isEmpty();
        }
        String header = "{\"z\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,2]}}";
        Path scalar = CheckpointCopy.rawSafetensors(dir.resolve("scalar.safetensors"), header, 2);
        try (SafetensorsFile f = SafetensorsFile.open(scalar)) {
            assertThat(f.tensors().get("z").elementCount()).isZero();
            assertThat(f.tensors().get("s").elementCount()).isOne();
        }
    }

    @Test
    void readsEveryDtypeOfTheReferenceByteSizedSet() {
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (DType t : DType.values()) {
            if (offset > 0) header.append(',');
            header.append("\"").append(t).append("\":{\"dtype\":\"").append(t).append("\",\"shape\":[2],\"data_offsets\":[")
                    .append(offset).append(',').append(offset + 2L * t.byteSize()).append("]}");
            offset += 2L * t.byteSize();
        }
        Path file = CheckpointCopy.rawSafetensors(dir.resolve("all.safetensors"), header.append('}').toString(), (int) offset);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensors()).hasSize(DType.values().length);
        }
    }

    @Test
    void readsWhatSafetensorsWriterWrote() {
        Path file = dir.resolve("w.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .addF32("x", new long[]{3}, new float[]{1f, -2f, 0.5f})
                .addI32("i", new long[]{2}, new int[]{7, -1})
                .write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.tensors().get("x").toFloatArray()).containsExactly(1f, -2f, 0.5f);
            assertThat(f.tensors().get("i").toIntArray()).containsExactly(7, -1);
        }
    }
}
