package org.gptq4j.io;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types a safetensors header may name, with their size in bytes. This is the byte-sized set of the
 * reference implementation (huggingface/safetensors {@code Dtype}); sub-byte and complex types are refused as unknown.
 * A checkpoint may hold a tensor of any of these types; the loader then insists on the types it can compute with.
 */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), F8_E4M3(1), F8_E5M2(1),
    I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The dtype spelled as in a safetensors header ("F16", "I32", ...), if known. */
    public static Optional<DType> parse(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }

    /** The known spellings, for error messages: "F64, F32, ...". */
    static String known() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
