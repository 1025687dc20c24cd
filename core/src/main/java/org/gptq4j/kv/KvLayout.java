package org.gptq4j.kv;

/**
 * Where the paged KV cache keeps each position's key and value vectors: the one place of the address formula (the C
 * attention kernel reads the same fields from {@link KvDescriptor}; gptq4j.h restates the formula). Keys and values
 * are each laid out {@code [layer][block][slot][stride]}: position {@code p} of a sequence whose blocks are
 * {@code blocks} is at element
 * <pre>
 *   layerOffset(layer) + (blocks[p / blockSize] * blockSize + p % blockSize) * stride
 * </pre>
 * the first {@code kvDim} elements of each stride holding its vector, head {@code h} of head dimension {@code hd} at
 * {@code + h * hd}.
 *
 * @param layers    transformer layers
 * @param kvDim     elements of one position's key (and value) vector: KV heads times head dimension
 * @param blockSize positions per block
 * @param blocks    blocks in the cache
 * @param stride    elements from one position's vector to the next ({@link #positionStride(int)})
 * @param precision how each element is stored
 */
public record KvLayout(int layers, int kvDim, int blockSize, int blocks, int stride, KvPrecision precision) {
    public KvLayout {
        if (layers < 1) throw new IllegalArgumentException("a KV cache needs at least one layer, got " + layers);
        if (kvDim < 1) throw new IllegalArgumentException("kvDim must be >= 1, got " + kvDim);
        if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
        if (blocks < 1) throw new IllegalArgumentException("a KV pool needs at least one block, got " + blocks);
        if (stride < kvDim) throw new IllegalArgumentException("stride " + stride + " is less than kvDim " + kvDim);
        if (precision == null) throw new IllegalArgumentException("precision is required");
    }

    /** The float32 layout of {@code blocks} blocks of {@code blockSize} positions, with {@link #positionStride(int)}. */
    public static KvLayout of(int layers, int kvDim, int blockSize, int blocks) {
        return of(layers, kvDim, blockSize, blocks, KvPrecision.F32);
    }

    /** The layout of {@code blocks} blocks of {@code blockSize} positions in {@code precision}, with {@link #positionStride(int)}. */
    public static KvLayout of(int layers, int kvDim, int blockSize, int blocks, KvPrecision precision) {
        return new KvLayout(layers, kvDim, blockSize, blocks, positionStride(kvDim), precision);
    }

    /**
     * Elements from one position's vector to the next. A vector of 1 KiB or more gets an odd number of 64-byte lines,
     * so that one head's vectors at successive positions fall into different cache sets (with a power-of-two stride,
     * 16 KiB for Llama-2-7B, they shared a few sets of L1 and L2 and attention read them from memory again for every
     * token); at most 1/16 more memory. Smaller vectors are stored as they are.
     */
    public static int positionStride(int kvDim) {
        int lines = (kvDim + 15) / 16;
        return lines < 16 ? kvDim : 16 * (lines % 2 == 0 ? lines + 1 : lines);
    }

    /** Element index of {@code layer}'s first vector. */
    public long layerOffset(int layer) {
        return (long) layer * blocks * blockSize * stride;
    }

    /** Element index of position {@code pos}'s vector relative to {@code base} (a layer's, plus a head's offset). */
    public long offset(long base, int[] blockIds, int pos) {
        return at(base, blockIds[pos / blockSize], pos);
    }

    /**
     * Element index of position {@code pos}'s vector for {@code layer} in a sequence's table, refused (an
     * {@link IndexOutOfBoundsException}) where the table holds no block for it.
     */
    public long offset(int layer, BlockTable table, int pos) {
        return at(layerOffset(layer), table.block(pos / blockSize), pos);
    }

    /** The address formula: position {@code pos}, which lives in {@code block}, from {@code base}. */
    private long at(long base, int block, int pos) {
        return base + ((long) block * blockSize + pos % blockSize) * stride;
    }

    /** Elements of the keys (as many for the values). */
    public long elements() {
        return layerOffset(layers);
    }

    /** Bytes one block takes across all layers, keys and values. */
    public long bytesPerBlock() {
        return 2L * layers * blockSize * stride * precision.bytes();
    }

    /** Blocks needed to hold {@code tokens} positions. */
    public int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }
}
