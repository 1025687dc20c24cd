/* The descriptors' layouts (gptq4j.h), which Java checks its MemoryLayouts against at load: the same on every
 * platform, so compiled into every library (moved here unchanged from qgemm.c and attention.c). */
#include "kernels.h"

#include <stddef.h>

/* Offsets in declaration order, then the size, of each descriptor (gptq4j.h), for Java's check of its layouts. */
int gptq4j_struct_layout(int64_t *out, int capacity) {
    const int64_t layout[] = {
        offsetof(struct gptq4j_weights, codes), offsetof(struct gptq4j_weights, scales),
        offsetof(struct gptq4j_weights, zeros), offsetof(struct gptq4j_weights, chunk_block),
        offsetof(struct gptq4j_weights, chunk_group), offsetof(struct gptq4j_weights, row_bytes),
        offsetof(struct gptq4j_weights, bits), offsetof(struct gptq4j_weights, groups),
        offsetof(struct gptq4j_weights, chunks), offsetof(struct gptq4j_weights, nb), sizeof(struct gptq4j_weights),
        offsetof(struct gptq4j_activations, hi), offsetof(struct gptq4j_activations, lo),
        offsetof(struct gptq4j_activations, e), offsetof(struct gptq4j_activations, sums),
        offsetof(struct gptq4j_activations, rows), offsetof(struct gptq4j_activations, reserved),
        sizeof(struct gptq4j_activations),
    };
    int n = (int) (sizeof layout / sizeof layout[0]);
    if (n > capacity) n = capacity;
    for (int i = 0; i < n; i++) out[i] = layout[i];
    return n;
}

/* Offsets in declaration order, then the size, of struct gptq4j_kv_cache (gptq4j.h), for Java's check of its layout. */
int gptq4j_kv_struct_layout(int64_t *out, int capacity) {
    const int64_t layout[] = {
        offsetof(struct gptq4j_kv_cache, keys), offsetof(struct gptq4j_kv_cache, values),
        offsetof(struct gptq4j_kv_cache, block_size), offsetof(struct gptq4j_kv_cache, stride),
        offsetof(struct gptq4j_kv_cache, precision), offsetof(struct gptq4j_kv_cache, reserved),
        sizeof(struct gptq4j_kv_cache),
    };
    int n = (int) (sizeof layout / sizeof layout[0]);
    if (n > capacity) n = capacity;
    for (int i = 0; i < n; i++) out[i] = layout[i];
    return n;
}
