package org.gptq4j.kv;

/**
 * Where the paged KV cache keeps each position's key and value vectors: the one place of the address formula (the C
 * attention kernel reads {@link #stride} and {@link #blockSize} from {@link KvDescriptor}; gptq4j.h restates the
 * formula). Keys and values are each laid out head-major, {@code [layer][kvHead][block][slot][headDim]}: head
 * {@code h} of position {@code p} of a sequence whose blocks are {@code blocks} starts at element
 * <pre>
 *   headBase(layer, h) + (blocks[p / blockSize] * blockSize + p % blockSize) * headDim
 * </pre>
 * so that one head's vectors of a block are contiguous ({@code blockSize * headDim} elements, 4 KiB for Llama-2-7B
 * in F16): decode attention, which reads one head over every position, streams whole blocks instead of picking
 * {@code headDim} elements out of each position's {@code kvDim} (measured on Zen 4 at the AVX2 level, 2 threads,
 * 2048 positions of the 7B shape: 47.6 ms of attention per token in F16 against 82.5 with the position-major
 * layout this replaced).
 *
 * @param layers    transformer layers
 * @param kvHeads   key/value heads
 * @param headDim   elements of one head's key (and value) vector
 * @param blockSize positions per block
 * @param blocks    blocks in the cache
 * @param precision how each element is stored
 */
public record KvLayout(int layers, int kvHeads, int headDim, int blockSize, int blocks, KvPrecision precision) {
    public KvLayout {
        if (layers < 1) throw new IllegalArgumentException("a KV cache needs at least one layer, got " + layers);
        if (kvHeads < 1) throw new IllegalArgumentException("kvHeads must be >= 1, got " + kvHeads);
        if (headDim < 1) throw new IllegalArgumentException("headDim must be >= 1, got " + headDim);
        if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        if (blocks < 1) throw new IllegalArgumentException("a KV pool needs at least one block, got " + blocks);
        if (precision == null) throw new IllegalArgumentException("precision is required");
    }

    /** The float32 layout of {@code blocks} blocks of {@code blockSize} positions. */
    public static KvLayout of(int layers, int kvHeads, int headDim, int blockSize, int blocks) {
        return new KvLayout(layers, kvHeads, headDim, blockSize, blocks, KvPrecision.F32);
    }

    /** Elements of one position's key (and value) vector over all heads. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Elements from one position's vector of a head to the next position's in the same block: {@link #headDim}. */
    public int stride() {
        return headDim;
    }

    /** Element index of head {@code head}'s first vector in {@code layer}: the base of {@link #offset(long, int[], int)}. */
    public long headBase(int layer, int head) {
        return ((long) layer * kvHeads + head) * blocks * blockSize * headDim;
    }

    /** Element index of position {@code pos}'s vector relative to {@code base} (a {@link #headBase}). */
    public long offset(long base, int[] blockIds, int pos) {
        return at(base, blockIds[pos / blockSize], pos);
    }

    /**
     * Element index of head {@code head}'s vector of position {@code pos} for {@code layer} in a sequence's table,
     * refused (an {@link IndexOutOfBoundsException}) where the table holds no block for it.
     */
    public long offset(int layer, int head, BlockTable table, int pos) {
        return at(headBase(layer, head), table.block(pos / blockSize), pos);
    }

    /** The address formula: position {@code pos}, which lives in {@code block}, from {@code base}. */
    private long at(long base, int block, int pos) {
        return base + ((long) block * blockSize + pos % blockSize) * headDim;
    }

    /** Elements of the keys (as many for the values). */
    public long elements() {
        return headBase(layers, 0);
    }

    /** Bytes one block takes across all layers and heads, keys and values. */
    public long bytesPerBlock() {
        return 2L * layers * kvHeads * blockSize * headDim * precision.bytes();
    }

    /** Blocks needed to hold {@code tokens} positions. */
    public int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }
}
