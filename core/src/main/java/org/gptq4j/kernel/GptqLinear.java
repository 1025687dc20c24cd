package org.gptq4j.kernel;

import org.gptq4j.io.CheckpointException;
import org.gptq4j.io.DType;
import org.gptq4j.io.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A GPTQ-quantized linear layer, repacked once at load into {@link PackedGptq}, the layout every backend reads.
 *
 * <p>GPTQ (AutoGPTQ) stores {@code W[k][n] = scale[g][n] * (q[k][n] - zero[g][n])} with {@code g = g_idx[k]}:
 * {@code qweight [K*bits/32, N]} packs the codes of each column as a little-endian bit stream along k,
 * {@code qzeros [G, N*bits/32]} packs the zeros of each group along n the same way (format v1 stores zero-1),
 * {@code scales [G, N]} is F16. With act-order the groups of g_idx are scattered over k.
 *
 * <p>Repacking permutes the input features so that each group is a contiguous run of whole 32-wide blocks (a group
 * whose size is not a multiple of 32 is padded with zero activations), stores the codes row by row per output
 * feature (2- and 3-bit codes widen to 4-bit nibbles), the scales as F16 and the zeros as int16 {@code [N][G]} (F32 or
 * BF16 scales are rounded to F16, as GPTQ's own kernels compute with them).
 * {@link #apply} gathers the activations through the same permutation, then runs the layer's {@link Kernels}.
 */
public final class GptqLinear implements Linear {
    private static final int CHUNK = 64; // output features repacked per task

    private final String name;
    private final PackedGptq w;
    private final int[] perm;          // permuted position k reads input feature perm[k] (-1: padding); null = identity
    private final int[] gather;        // activation slot s reads input feature gather[s] (-1: padding); null = identity
    private final float[] bias;        // [out] or null
    private final MemorySegment nativeBias; // bias as a heap segment for the native kernels, or NULL
    private final Kernels kernels;
    /** The scales and zeros in the kernels' own layout ({@link Kernels#interleavedParams}), or null. */
    private final InterleavedParams interleavedParams;

    private GptqLinear(String name, PackedGptq w, int[] perm, float[] bias, Kernels kernels) {
        this.name = name;
        this.w = w;
        this.perm = perm;
        this.gather = ActivationQuantizer.gather(w, perm);
        this.bias = bias;
        this.nativeBias = bias == null ? MemorySegment.NULL : MemorySegment.ofArray(bias);
        this.kernels = kernels;
        this.interleavedParams = kernels.interleavedParams(w);
        if (kernels.nativeCode() && (w.codes().isMapped() || w.scales().isMapped() || w.zeros().isMapped())) {
            throw new IllegalArgumentException(name + ": the native kernels read only memory the engine owns, not a mapped file");
        }
    }

    /** The tensors of one quantized layer as stored in a GPTQ checkpoint. */
    public record Stored(String name, Tensor qweight, Tensor qzeros, Tensor scales, Tensor gIdx, Tensor bias) {}

    /**
     * Where each input feature goes in {@link PackedGptq}, derived from the stored tensors alone (their shapes and
     * {@code g_idx}), never from a cache: group g takes blocks {@code [gblk[g], gblk[g+1])}, feature k sits at permuted
     * position {@code position[k]}, and {@code perm} is the inverse (null for the identity).
     */
    record Layout(int storedBits, int groups, int[] gblk, int nb, long rowBytes, int[] position, int[] perm) {
        long codesBytes(int out) {
            return rowBytes * out;
        }

        /** Bytes of the scales, and of the zeros: F16 and int16 {@code [out][groups]}. */
        long groupBytes(int out) {
            return (long) out * groups * Short.BYTES;
        }
    }

    /**
     * The layer from {@code cache} when it holds a valid copy made from exactly these stored tensors (see
     * {@link PackCache}), else repacked from them; either way recorded in the cache. The layout, the permutation and the
     * bias always come from the stored tensors, so a cache file can change the packed bytes at most.
     */
    public static GptqLinear load(Stored s, int in, int out, int bits, int groupSize, int zeroOffset, Arena arena,
                                  Kernels kernels, PackCache cache) {
        Layout layout = layout(s, in, out, bits, groupSize);
        PackCache.Blobs hit = cache.find(s, layout.codesBytes(out), layout.groupBytes(out), arena);
        GptqLinear layer;
        if (hit != null) {
            releaseStoredPages(s);
            PackedGptq p = PackedGptq.of(in, out, bits, layout.storedBits, layout.nb, layout.rowBytes, layout.groups,
                    layout.gblk, hit.codes(), hit.scales(), hit.zeros(), arena);
            layer = new GptqLinear(s.name, p, layout.perm, bias(s, out), kernels);
        } else {
            layer = repack(s, layout, in, out, bits, zeroOffset, arena, kernels);
        }
        cache.put(s, layer.w);
        return layer;
    }

    private static float[] bias(Stored s, int out) {
        if (s.bias == null) return null;
        s.bias.requireFloat(out).requireFinite();
        float[] bias = s.bias.toFloatArray();
        for (float b : bias) if (b != 0f) return bias;
        return null; // AutoGPTQ 0.4-0.7 wrote zero biases; skip the add
    }

    /**
     * Validates the stored tensors against the expected shape and repacks them (in parallel over output features).
     *
     * @param zeroOffset 1 for GPTQ format v1 (stored zero is zero-1), 0 for gptq_v2
     */
    public static GptqLinear repack(Stored s, int in, int out, int bits, int groupSize, int zeroOffset, Arena arena,
                                    Kernels kernels) {
        return repack(s, layout(s, in, out, bits, groupSize), in, out, bits, zeroOffset, arena, kernels);
    }

    /** As {@link #repack(Stored, int, int, int, int, int, Arena, Kernels)} on the kernels of {@code backend}. */
    public static GptqLinear repack(Stored s, int in, int out, int bits, int groupSize, int zeroOffset, Arena arena,
                                    KernelBackend backend) {
        return repack(s, in, out, bits, groupSize, zeroOffset, arena, Kernels.of(backend));
    }

    /** Checks the stored tensors' shapes and {@code g_idx}, and lays out the groups (see {@link Layout}). */
    static Layout layout(Stored s, int in, int out, int bits, int groupSize) {
        if ((long) in * bits % 32 != 0 || (long) out * bits % 32 != 0) {
            throw new CheckpointException(s.name + ": " + in + "x" + out + " cannot be packed at " + bits + " bits (features must fill whole int32 words)");
        }
        if (bits != 2 && bits != 3 && bits != 4 && bits != 8) throw new CheckpointException(s.name + ": unsupported GPTQ bits " + bits);
        int expectedGroups = groupSize == -1 ? 1 : (int) (((long) in + groupSize - 1) / groupSize);
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

        // Group g takes blocks [gblk[g], gblk[g+1]); its members fill them in k order (a stable sort by g_idx).
        int[] count = new int[groups];
        for (int g : gIdx) count[g]++;
        int[] gblk = new int[groups + 1];
        for (int g = 0; g < groups; g++) gblk[g + 1] = gblk[g] + (count[g] + 31) / 32;
        int nb = gblk[groups];
        int[] perm = new int[nb * 32];
        Arrays.fill(perm, -1);
        int[] position = new int[in];
        int[] fill = new int[groups];
        for (int g = 0; g < groups; g++) fill[g] = gblk[g] * 32;
        for (int k = 0; k < in; k++) {
            position[k] = fill[gIdx[k]]++;
            perm[position[k]] = k;
        }
        boolean identity = true;
        for (int k = 0; k < perm.length && identity; k++) identity = perm[k] == (k < in ? k : -1);
        int storedBits = bits == 8 ? 8 : 4;
        return new Layout(storedBits, groups, gblk, nb, nb * (storedBits == 8 ? 32L : 16L), position, identity ? null : perm);
    }

    private static GptqLinear repack(Stored s, Layout layout, int in, int out, int bits, int zeroOffset, Arena arena,
                                     Kernels kernels) {
        int storedBits = layout.storedBits, nb = layout.nb, groups = layout.groups;
        long rowBytes = layout.rowBytes;
        int[] position = layout.position;
        MemorySegment codes = arena.allocate(layout.codesBytes(out), 64);
        MemorySegment scales = arena.allocate(layout.groupBytes(out), 64);
        MemorySegment zeros = arena.allocate(layout.groupBytes(out), 64);

        int mask = (1 << bits) - 1;
        int zeroShift = zeroOffset - (storedBits == 8 ? 128 : 0);
        MemorySegment qz = s.qzeros.data();
        boolean nativeRepack = kernels.nativeCode() && s.qweight.data().isNative(); // Java repack otherwise (tests cover both)
        // native code reads only memory the engine owns: a mapped qweight is copied first (a file that shrinks under a
        // Java copy throws InternalError; under native code it would crash the JVM), one layer at a time
        try (Arena scratch = Arena.ofShared()) {
            MemorySegment qw = nativeRepack && s.qweight.data().isMapped() ? s.qweight.copyTo(scratch).data() : s.qweight.data();
            IntStream.range(0, (out + CHUNK - 1) / CHUNK).parallel().forEach(chunk -> {
                int n0 = chunk * CHUNK, n1 = Math.min(out, n0 + CHUNK), width = n1 - n0;
                if (nativeRepack) {
                    NativeKernels.repack(qw, in, out, bits, position, nb, codes, rowBytes, n0, n1);
                } else {
                    repackCodes(qw, in, out, bits, position, nb, storedBits, codes, rowBytes, n0, n1);
                }
                // 3. scales (F16, finite) and zeros (int16), transposed to [out][groups]
                short[] sc = new short[width * groups], ze = new short[width * groups];
                for (int g = 0; g < groups; g++) {
                    long rowBase = (long) g * (out * bits / 32);
                    for (int n = n0; n < n1; n++) {
                        float scale = s.scales.getFloat((long) g * out + n);
                        short half = Float.floatToFloat16(scale);
                        if ((half & 0x7C00) == 0x7C00) {
                            throw new CheckpointException("tensor " + s.scales.name() + " holds " + scale + " at [" + g + "][" + n
                                    + "]: scales must be finite (and within F16's range, 65504)");
                        }
                        sc[(n - n0) * groups + g] = half;
                        long bit = (long) n * bits;
                        int word = (int) (bit >>> 5), shift = (int) (bit & 31);
                        int z = readBits(qz, rowBase + word, shift, shift + bits > 32 ? rowBase + word + 1 : -1) & mask;
                        ze[(n - n0) * groups + g] = (short) (z + zeroShift); // within [-128, 256]
                    }
                }
                MemorySegment.copy(sc, 0, scales, ValueLayout.JAVA_SHORT, (long) n0 * groups * Short.BYTES, sc.length);
                MemorySegment.copy(ze, 0, zeros, ValueLayout.JAVA_SHORT, (long) n0 * groups * Short.BYTES, ze.length);
            });
        }

        releaseStoredPages(s);
        float[] bias = bias(s, out);
        PackedGptq packed = PackedGptq.of(in, out, bits, storedBits, nb, rowBytes, groups, layout.gblk, codes, scales, zeros, arena);
        return new GptqLinear(s.name, packed, layout.perm, bias, kernels);
    }

    /** The stored tensors are consumed: their file pages need not stay resident (they remain in the page cache). */
    private static void releaseStoredPages(Stored s) {
        NativeKernels.releasePages(s.qweight.data());
        NativeKernels.releasePages(s.qzeros.data());
        NativeKernels.releasePages(s.scales.data());
        if (s.gIdx != null) NativeKernels.releasePages(s.gIdx.data());
    }

    /** The Java version of the native {@code gptq4j_repack}: codes of output features [n0, n1) into the kernel layout. */
    private static void repackCodes(MemorySegment qw, int in, int out, int bits, int[] position, int nb, int storedBits,
                                MemorySegment codes, long rowBytes, int n0, int n1) {
        int width = n1 - n0, padded = nb * 32, mask = (1 << bits) - 1;
        // 1. codes of columns n0..n1 at their permuted positions: column n's bit stream along k
        byte[] c = new byte[width * padded];
        for (int k = 0; k < in; k++) {
            long bit = (long) k * bits;
            int word = (int) (bit >>> 5), shift = (int) (bit & 31);
            boolean straddles = shift + bits > 32;
            int p = position[k];
            for (int n = n0; n < n1; n++) {
                int code = readBits(qw, (long) word * out + n, shift, straddles ? (long) (word + 1) * out + n : -1) & mask;
                c[(n - n0) * padded + p] = (byte) code;
            }
        }
        // 2. rows of blocks: nibble pairs (j, j+16) for 4-bit storage, code-128 for 8-bit
        byte[] row = new byte[(int) rowBytes];
        for (int n = n0; n < n1; n++) {
            int base = (n - n0) * padded;
            for (int b = 0; b < nb; b++) {
                if (storedBits == 8) {
                    for (int j = 0; j < 32; j++) row[32 * b + j] = (byte) ((c[base + 32 * b + j] & 0xFF) - 128);
                } else {
                    for (int j = 0; j < 16; j++) row[16 * b + j] = (byte) (c[base + 32 * b + j] | c[base + 32 * b + 16 + j] << 4);
                }
            }
            MemorySegment.copy(row, 0, codes, ValueLayout.JAVA_BYTE, n * rowBytes, row.length);
        }
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
        return w.in();
    }

    @Override
    public int outFeatures() {
        return w.out();
    }

    public int bits() {
        return w.bits();
    }

    /** The repacked weights. */
    public PackedGptq packed() {
        return w;
    }

    /** Activation slot s reads input feature {@code gather()[s]} (-1: padding), or null where slots are the features. */
    int[] gather() {
        return gather;
    }

    public KernelBackend backend() {
        return kernels.backend();
    }

    /** The kernels that run this layer. */
    public Kernels kernels() {
        return kernels;
    }

    /** The scales and zeros in the kernels' own layout, or null where they read {@link #packed()}'s. */
    InterleavedParams interleavedParams() {
        return interleavedParams;
    }

    /** The bias, or null. */
    float[] bias() {
        return bias;
    }

    /** The bias as a heap segment for the native kernels, or NULL. */
    MemorySegment nativeBias() {
        return nativeBias;
    }

    @Override
    public long weightBytes() {
        return w.bytes();
    }

    @Override
    public void apply(float[] x, float[] y, int rows, ComputePool pool) {
        kernels.gptq(this, x, y, rows, pool);
    }

    /** {@link #apply} on float32 activations (the float kernels). */
    void applyFloat(float[] x, float[] y, int rows, ComputePool pool) {
        Workspace ws = pool.workspace();
        int padded = w.nb() * 32, out = w.out();
        long work = (long) rows * padded * out;
        // xs = x gathered into permuted order (zero padding), then y[r][n] = xs[r] . W[n] row by row
        float[] xs = ws.floats(Workspace.GATHERED, rows * padded);
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < padded; k++) xs[r * padded + k] = ActivationQuantizer.at(x, r * w.in(), w.in(), perm, k);
        }
        pool.parallelForSlices(out, work, (slice, n0, n1) ->
                VectorKernels.floatGemm(w, xs, rows, y, bias, n0, n1, ws.floats(Workspace.ROW, slice, padded)));
    }

    /**
     * A batch of activations quantized for the int8 kernels ({@link ActivationQuantizer}): two planes, scales, sums;
     * heap arrays for the Java kernel, native memory for C ({@link NativePlanes}).
     */
    sealed interface Planes permits HeapPlanes, NativePlanes {}

    /**
     * The Java kernel's activations as floats, token by token in the form the token's kernel reads
     * ({@link VectorKernels#activationsAt}): both int8 planes folded into one, {@code 254 hi + lo} per slot
     * ({@link VectorKernels#foldedPlane}), or, for the 8-bit row kernel, the two planes apart
     * ({@link VectorKernels#splitPlanes}).
     */
    record HeapPlanes(float[] x, float[] e, int[] sums) implements Planes {}

    /**
     * Whether {@code other} quantizes its input exactly as this layer does (same features, act-order gather and chunks,
     * on the same int8 backend), so that both can multiply one quantization of a shared input ({@link LinearGroup}).
     */
    boolean sharesActivations(GptqLinear other) {
        return kernels.int8Activations() && kernels == other.kernels && w.in() == other.w.in()
                && w.storedBits() == other.w.storedBits() && Arrays.equals(w.chunkBlock(), other.w.chunkBlock())
                && Arrays.equals(gather, other.gather);
    }

    /** Quantizes {@code x} ({@code [rows][in]}) into planes held by the pool's workspace (valid until its next use). */
    Planes quantize(float[] x, int rows, ComputePool pool) {
        return kernels.quantize(this, x, rows, pool);
    }

    /** Outputs {@code [n0, n1)} of every row of {@code y} ({@code [rows][out]}) from activations quantized by {@link #quantize}. */
    void multiply(Planes x, int rows, float[] y, int n0, int n1) {
        kernels.multiply(this, x, rows, y, n0, n1);
    }

    @Override
    public String toString() {
        return name + " gptq " + w.bits() + "-bit " + w.in() + "x" + w.out() + " groups=" + w.groups() + (perm != null ? " act-order" : "")
                + " " + kernels;
    }
}
