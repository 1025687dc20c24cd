package org.gptq4j.kv;

/** The KV block pool has no free block for a sequence that needs one. */
public class KvCacheExhaustedException extends RuntimeException {
    public KvCacheExhaustedException(String message) {
        super(message);
    }
}
