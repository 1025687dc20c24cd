package org.gptq4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The C {@code struct gptq4j_weights} (gptq4j.h): what the native kernels read of a {@link PackedGptq}, written once
 * per layer. Its pointers go to native memory only (the codes, scales and zeros, and copies of the chunk tables made
 * here), and it is allocated in the arena that owns that memory: passing the descriptor to a downcall then keeps the
 * whole layer alive for the call, as passing the segments themselves did, and a closed arena fails the call instead
 * of letting C read freed memory.
 */
final class NativeWeights {
    private NativeWeights() {}

    /** Field by field as in gptq4j.h (checked against the C offsets at load: {@link NativeKernels}). */
    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("codes"),
            ADDRESS.withName("scales"),
            ADDRESS.withName("zeros"),
            ADDRESS.withName("chunk_block"),
            ADDRESS.withName("chunk_group"),
            JAVA_LONG.withName("row_bytes"),
            JAVA_INT.withName("bits"),
            JAVA_INT.withName("groups"),
            JAVA_INT.withName("chunks"),
            JAVA_INT.withName("nb")).withName("gptq4j_weights");

    private static final VarHandle CODES = handle("codes"), SCALES = handle("scales"), ZEROS = handle("zeros"),
            CHUNK_BLOCK = handle("chunk_block"), CHUNK_GROUP = handle("chunk_group"), ROW_BYTES = handle("row_bytes"),
            BITS = handle("bits"), GROUPS = handle("groups"), CHUNKS = handle("chunks"), NB = handle("nb");

    private static VarHandle handle(String field) {
        return LAYOUT.varHandle(groupElement(field));
    }

    /**
     * The descriptor of a layer's packed weights, with its chunk tables copied after it, in {@code arena}, which must
     * be the arena of {@code codes}, {@code scales} and {@code zeros}.
     */
    static MemorySegment describe(Arena arena, int storedBits, int nb, long rowBytes, int groups, int[] chunkBlock,
                                  int[] chunkGroup, MemorySegment codes, MemorySegment scales, MemorySegment zeros) {
        long tables = LAYOUT.byteSize();
        MemorySegment d = arena.allocate(tables + 4L * (chunkBlock.length + chunkGroup.length), LAYOUT.byteAlignment());
        MemorySegment blocks = d.asSlice(tables, 4L * chunkBlock.length), chunkGroups = d.asSlice(tables + blocks.byteSize());
        MemorySegment.copy(chunkBlock, 0, blocks, JAVA_INT, 0, chunkBlock.length);
        MemorySegment.copy(chunkGroup, 0, chunkGroups, JAVA_INT, 0, chunkGroup.length);
        CODES.set(d, 0L, codes);
        SCALES.set(d, 0L, scales);
        ZEROS.set(d, 0L, zeros);
        CHUNK_BLOCK.set(d, 0L, blocks);
        CHUNK_GROUP.set(d, 0L, chunkGroups);
        ROW_BYTES.set(d, 0L, rowBytes);
        BITS.set(d, 0L, storedBits);
        GROUPS.set(d, 0L, groups);
        CHUNKS.set(d, 0L, chunkGroup.length);
        NB.set(d, 0L, nb);
        return d.asSlice(0, LAYOUT);
    }
}
