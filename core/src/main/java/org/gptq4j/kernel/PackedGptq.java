package org.gptq4j.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The repacked weights of one GPTQ layer, as every backend reads them (built by {@link GptqLinear#repack}).
 *
 * <p>Input features are permuted so that each group is a contiguous run of whole 32-wide blocks
 * ({@code gblk[g]} is group g's first block, {@code gblk[groups] = nb}); rows are padded to {@code nb * 32}
 * positions. Per output row n, block b holds the codes of permuted positions {@code 32b .. 32b+31}:
 * <ul>
 *   <li>{@code storedBits == 4} (GPTQ bits 2, 3, 4): 16 bytes, byte j = {@code code[32b+j] | code[32b+16+j] << 4}
 *       (unsigned, the nibble order of llama.cpp's Q4_0, so one AVX2 shift+mask unpacks 32 codes);</li>
 *   <li>{@code storedBits == 8}: 32 bytes, {@code code - 128} as a signed byte.</li>
 * </ul>
 * {@code scales} are F16 and {@code zeros} int16, both {@code [out][groups]} (4 bytes per group, a quarter bit per weight
 * at g128); the weight is {@code W[n][k] = s[n][g] * (c - z[n][g])} with c the stored code (8-bit zeros are shifted
 * by -128 like their codes).
 *
 * <p>The int8-activation kernels work in chunks: each group is cut into runs of at most {@link #CHUNK_BLOCKS} blocks,
 * chunk c being blocks {@code [chunkBlock[c], chunkBlock[c+1])} of group {@code chunkGroup[c]}. Activations get one
 * scale per chunk ({@link ActivationQuantizer}), and the integer dot of a chunk is exact. Within a chunk of nbk blocks the
 * int8 kernels visit positions in "slot" order, the order in which the stored bytes unpack ({@link #slotPosition}).
 * {@code nativeDescriptor} is the C {@code struct gptq4j_weights} of all this ({@link NativeWeights}), which the native
 * kernels take instead of the fields one by one.
 */
public record PackedGptq(int in, int out, int bits, int storedBits, int nb, long rowBytes, int groups, int[] gblk,
                         int[] chunkBlock, int[] chunkGroup, MemorySegment codes, MemorySegment scales, MemorySegment zeros,
                         MemorySegment nativeDescriptor) {

    /** Blocks per chunk at most: 128 positions, the depth of two tile steps. */
    public static final int CHUNK_BLOCKS = 4;

    /**
     * The packed layer with its chunk tables derived from the group layout {@code gblk}, and its descriptor for the
     * native kernels ({@link NativeWeights}) allocated in {@code arena}, the arena that owns {@code codes},
     * {@code scales} and {@code zeros} (so that it lives exactly as long as they do).
     */
    public static PackedGptq of(int in, int out, int bits, int storedBits, int nb, long rowBytes, int groups, int[] gblk,
                                MemorySegment codes, MemorySegment scales, MemorySegment zeros, Arena arena) {
        int chunks = 0;
        for (int g = 0; g < groups; g++) chunks += (gblk[g + 1] - gblk[g] + CHUNK_BLOCKS - 1) / CHUNK_BLOCKS;
        int[] chunkBlock = new int[chunks + 1], chunkGroup = new int[chunks];
        int c = 0;
        for (int g = 0; g < groups; g++) {
            for (int b = gblk[g]; b < gblk[g + 1]; b += CHUNK_BLOCKS) {
                chunkBlock[c] = b;
                chunkGroup[c++] = g;
            }
        }
        chunkBlock[chunks] = nb;
        MemorySegment descriptor = NativeWeights.describe(arena, storedBits, nb, rowBytes, groups, chunkBlock, chunkGroup, codes, scales, zeros);
        return new PackedGptq(in, out, bits, storedBits, nb, rowBytes, groups, gblk, chunkBlock, chunkGroup, codes, scales, zeros, descriptor);
    }

    /**
     * The permuted position that activation slot {@code s} holds. 8-bit storage: slots are positions. 4-bit storage,
     * chunk of nbk blocks from block b0: slot {@code 32 b0 + j} is the low nibble of the chunk's byte j for
     * {@code j < 16 nbk} (position {@code 32 (b0 + j/16) + j%16}) and the high nibble of byte {@code j - 16 nbk} otherwise
     * (position {@code 32 (b0 + (j-16nbk)/16) + 16 + (j-16nbk)%16}): one SIMD load of the chunk's bytes, masked and
     * shifted, lines up with two contiguous runs of activations.
     */
    public int slotPosition(int s) {
        if (storedBits == 8) return s;
        int c = chunkOf(s >>> 5), b0 = chunkBlock[c], nbk = chunkBlock[c + 1] - b0, j = s - 32 * b0, half = 16 * nbk;
        return j < half ? 32 * (b0 + j / 16) + j % 16 : 32 * (b0 + (j - half) / 16) + 16 + (j - half) % 16;
    }

    /** The chunk that holds block b. */
    private int chunkOf(int b) {
        int i = java.util.Arrays.binarySearch(chunkBlock, b);
        return i >= 0 ? i : -i - 2;
    }

    /** Number of chunks of a row. */
    public int chunks() {
        return chunkGroup.length;
    }

    /** Stored code of row n at permuted position k (unsigned 0..15 for 4-bit storage, signed for 8-bit). */
    public int code(int n, int k) {
        long row = n * rowBytes;
        int b = k >>> 5, j = k & 31;
        if (storedBits == 8) return codes.get(ValueLayout.JAVA_BYTE, row + 32L * b + j);
        int v = codes.get(ValueLayout.JAVA_BYTE, row + 16L * b + (j & 15));
        return (j < 16 ? v : v >>> 4) & 0xF;
    }

    public float scale(int n, int g) {
        return Float.float16ToFloat(scales.getAtIndex(ValueLayout.JAVA_SHORT, (long) n * groups + g));
    }

    public float zero(int n, int g) {
        return zeros.getAtIndex(ValueLayout.JAVA_SHORT, (long) n * groups + g);
    }

    /** Bytes a pass over the weights reads: codes, scales and zeros. */
    public long bytes() {
        return codes.byteSize() + scales.byteSize() + zeros.byteSize();
    }
}
