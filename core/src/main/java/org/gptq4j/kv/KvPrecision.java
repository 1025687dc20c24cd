package org.gptq4j.kv;

/**
 * How the KV cache stores each key and value element (the code of each in {@code enum gptq4j_kv_precision}, gptq4j.h,
 * is its ordinal). Attention widens stored elements to float32 exactly and computes in float32 either way; the
 * precision only decides what is rounded once when a position's key and value are written
 * ({@link PagedKvCache#write}) and how many bytes each position costs.
 */
public enum KvPrecision {
    /** float32, 4 bytes: {@code GPTQ4J_KV_F32}. */
    F32(Float.BYTES),
    /**
     * IEEE half precision, 2 bytes ({@link Float#floatToFloat16}, round to nearest even): {@code GPTQ4J_KV_F16}. Half
     * the memory and the bandwidth of {@link #F32} per position, which decode attention at long contexts is bound by;
     * a relative rounding error of at most 2^-11 per element (keys and values of Llama models stay far inside F16's
     * range).
     */
    F16(Short.BYTES);

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
