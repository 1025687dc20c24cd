package org.gptq4j.kernel;

import org.gptq4j.io.CheckpointException;
import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A GPTQ-quantized linear layer, repacked once at load into the layout the kernels want.
 *
 * <p>GPTQ (AutoGPTQ) stores {@code W[k][n] = scale[g][n] * (q[k][n] - zero[g][n])} with {@code g = g_idx[k]}:
 * {@code qweight [K*bits/32, N]} packs the codes of each column as a little-endian bit stream along k,
 * {@code qzeros [G, N*bits/32]} packs the zeros of each group along n the same way (format v1 stores zero-1),
 * {@code scales [G, N]} is F16. With act-order the groups of g_idx are scattered over k.
 *
 * <p>Repacked layout: input features are permuted once so that each group is a contiguous range
 * ({@code perm}, {@code groupStart}); the activation is gathered with the same permutation at run time.
 * Codes are stored row by row (one row per output feature n, k in permuted order), two codes per byte for
 * bits &lt;= 4 (low nibble first) and one per byte for 8 bits; scales and zeros as floats {@code [N][G]}.
 */
public final class GptqLinear implements Linear {
    private final String name;
    private final int in, out, bits, groups;
    private final int[] perm;          // permuted position i reads input feature perm[i]; null = identity
    private final int[] groupStart;    // group g covers permuted positions [groupStart[g], groupStart[g+1])
    private final MemorySegment codes; // [out][rowBytes]
    private final int rowBytes;
    private final float[] scales;      // [out][groups]
    private final float[] zeros;       // [out][groups]
    private final float[] bias;        // [out] or null

    private GptqLinear(String name, int in, int out, int bits, int[] perm, int[] groupStart, MemorySegment codes,
                       int rowBytes, float[] scales, float[] zeros, float[] bias) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.bits = bits;
        this.groups = groupStart.length - 1;
        this.perm = perm;
        this.groupStart = groupStart;
        this.codes = codes;
        this.rowBytes = rowBytes;
        this.scales = scales;
        this.zeros = zeros;
        this.bias = bias;
    }

    /** The tensors of one quantized layer as stored in a GPTQ checkpoint. */
    public record Stored(String name, Tensor qweight, Tensor qzeros, Tensor scales, Tensor gIdx, Tensor bias) {}

    /**
     * Validates the stored tensors against the expected shape and repacks them.
     *
     * @param zeroOffset 1 for GPTQ format v1 (stored zero is zero-1), 0 for gptq_v2
     */
    public static GptqLinear repack(Stored s, int in, int out, int bits, int groupSize, int zeroOffset, Arena arena) {
        if ((long) in * bits % 32 != 0 || (long) out * bits % 32 != 0) {
            throw new CheckpointException(s.name + ": " + in + "x" + out + " cannot be packed at " + bits + " bits (features must fill whole int32 words)");
        }
        int expectedGroups = groupSize == -1 ? 1 : (in + groupSize - 1) / groupSize;
        s.qweight.require(DType.I32, (long) in * bits / 32, out);
        s.scales.requireFloat(s.scales.rank() == 2 ? s.scales.shape()[0] : -1, out);
        int groups = s.scales.dim(0);
        if (groups != expectedGroups) {
            throw new CheckpointException(s.name + ".scales has " + groups + " groups, but " + in + " input features with group_size "
                    + groupSize + " make " + expectedGroups + " (does quantize_config.json match the weights?)");
        }
        s.qzeros.require(DType.I32, groups, (long) out * bits / 32);

        int[] gIdx = new int[in];
        if (s.gIdx != null) {
            s.gIdx.require(DType.I32, in);
            for (int k = 0; k < in; k++) {
                gIdx[k] = s.gIdx.getInt(k);
                if (gIdx[k] < 0 || gIdx[k] >= groups) {
                    throw new CheckpointException(s.name + ".g_idx[" + k + "] = " + gIdx[k] + " is outside [0, " + groups + ")");
                }
            }
        } else {
            for (int k = 0; k < in; k++) gIdx[k] = groupSize == -1 ? 0 : k / groupSize;
        }

        // Permutation that makes groups contiguous: stable counting sort of k by g_idx.
        int[] groupStart = new int[groups + 1];
        for (int g : gIdx) groupStart[g + 1]++;
        for (int g = 0; g < groups; g++) groupStart[g + 1] += groupStart[g];
        int[] perm = new int[in];
        int[] fill = Arrays.copyOf(groupStart, groups);
        for (int k = 0; k < in; k++) perm[fill[gIdx[k]]++] = k;
        boolean identity = true;
        for (int i = 0; i < in && identity; i++) identity = perm[i] == i;

        // Codes: column n's bit stream along k -> row n, position inversePerm[k].
        int[] position = new int[in];
        for (int i = 0; i < in; i++) position[perm[i]] = i;
        int rowBytes = bits == 8 ? in : (in + 1) / 2;
        MemorySegment codes = arena.allocate((long) rowBytes * out, 64);
        int mask = (1 << bits) - 1;
        MemorySegment qw = s.qweight.data();
        for (int k = 0; k < in; k++) {
            long bit = (long) k * bits;
            int word = (int) (bit >>> 5), shift = (int) (bit & 31);
            boolean straddles = shift + bits > 32;
            int p = position[k];
            for (int n = 0; n < out; n++) {
                int code = readBits(qw, (long) word * out + n, shift, straddles ? (long) (word + 1) * out + n : -1) & mask;
                long at = (long) n * rowBytes + (bits == 8 ? p : p >>> 1);
                if (bits == 8) {
                    codes.set(ValueLayout.JAVA_BYTE, at, (byte) code);
                } else {
                    byte old = codes.get(ValueLayout.JAVA_BYTE, at);
                    int nibble = (p & 1) == 0 ? code : code << 4;
                    codes.set(ValueLayout.JAVA_BYTE, at, (byte) (old | nibble));
                }
            }
        }

        // Scales and zeros, transposed to [out][groups].
        float[] scales = new float[out * groups];
        float[] zeros = new float[out * groups];
        MemorySegment qz = s.qzeros.data();
        for (int g = 0; g < groups; g++) {
            for (int n = 0; n < out; n++) {
                scales[n * groups + g] = s.scales.getFloat((long) g * out + n);
                long bit = (long) n * bits;
                int word = (int) (bit >>> 5), shift = (int) (bit & 31);
                long rowBase = (long) g * (out * bits / 32);
                int z = readBits(qz, rowBase + word, shift, shift + bits > 32 ? rowBase + word + 1 : -1) & mask;
                zeros[n * groups + g] = z + zeroOffset;
            }
        }
        float[] bias = null;
        if (s.bias != null) {
            s.bias.requireFloat(out);
            bias = s.bias.toFloatArray();
            boolean allZero = true;
            for (float b : bias) allZero &= b == 0f;
            if (allZero) bias = null; // AutoGPTQ 0.4-0.7 wrote zero biases; skip the add
        }
        return new GptqLinear(s.name, in, out, bits, identity ? null : perm, groupStart, codes, rowBytes, scales, zeros, bias);
    }

    /** Bits [shift, shift+width) of the little-endian stream word[i] ++ word[next]. */
    private static int readBits(MemorySegment words, long index, int shift, long next) {
        int lo = words.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, index) >>> shift;
        if (next < 0) return lo;
        int hi = words.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, next);
        return lo | (hi << (32 - shift));
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    public int bits() {
        return bits;
    }

    @Override
    public long weightBytes() {
        return codes.byteSize() + 8L * scales.length;
    }

    @Override
    public void apply(float[] x, float[] y, int rows, ComputePool pool) {
        float[] xs = gather(x, rows);
        pool.parallelFor(out, (start, end) -> {
            float[] w = new float[in];
            for (int n = start; n < end; n++) {
                dequantizeRow(n, w);
                float b = bias == null ? 0f : bias[n];
                // y[r][n] = sum_k x[r][perm[k]] * W[perm[k]][n] + b, reading row n once for the whole batch
                for (int r = 0; r < rows; r++) y[r * out + n] = VectorMath.dot(w, 0, xs, r * in, in) + b;
            }
        });
    }

    /** x with its features permuted into group order (the act-order gather), or x itself. */
    private float[] gather(float[] x, int rows) {
        if (perm == null) return x;
        float[] xs = new float[rows * in];
        for (int r = 0; r < rows; r++) {
            int base = r * in;
            for (int i = 0; i < in; i++) xs[base + i] = x[base + perm[i]];
        }
        return xs;
    }

    /** w[i] = scale[n][g] * (q[n][i] - zero[n][g]) for every permuted position i of group g. */
    private void dequantizeRow(int n, float[] w) {
        long rowBase = (long) n * rowBytes;
        for (int g = 0; g < groups; g++) {
            float s = scales[n * groups + g], z = zeros[n * groups + g];
            for (int i = groupStart[g]; i < groupStart[g + 1]; i++) {
                int q = bits == 8
                        ? codes.get(ValueLayout.JAVA_BYTE, rowBase + i) & 0xFF
                        : (codes.get(ValueLayout.JAVA_BYTE, rowBase + (i >>> 1)) >>> ((i & 1) << 2)) & 0xF;
                w[i] = s * (q - z);
            }
        }
    }

    @Override
    public String toString() {
        return name + " gptq " + bits + "-bit " + in + "x" + out + " groups=" + groups + (perm != null ? " act-order" : "");
    }
}
