package org.gptq4j.kv;

/**
 * How the KV cache stores each key and value element. Only {@link #F32} exists today; a half-precision cache adds a
 * constant here (its code in the C struct, {@link KvDescriptor}) and the kernels that read it.
 */
public enum KvPrecision {
    /** float32, 4 bytes: the code 0 in {@code struct gptq4j_kv_cache}. */
    F32(Float.BYTES);

    private final int bytes;

    KvPrecision(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes of one element. */
    public int bytes() {
        return bytes;
    }

    /** The precision's number in the C struct (gptq4j.h). */
    int code() {
        return ordinal();
    }
}
