package org.gptq4j.kernel;

import org.gptq4j.kv.KvDescriptor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The native SIMD kernels ({@code src/main/c}: {@code gptq4j.h} is their interface), shipped in the jar as
 * {@code native/<os>-<arch>/} ({@link #libraryName}: linux-x86_64, linux-aarch64, macos-aarch64, macos-x86_64,
 * windows-x86_64; any other platform runs the Java fallback), loaded from a temporary copy that is deleted at once ({@link #load}) and
 * bound through FFM downcalls. The quantized product takes two descriptors, C structs mirrored once in Java as
 * {@link MemoryLayout}s: {@link NativeWeights} (a layer's packed weights, written once) and
 * {@link NativePlanes} (quantized activations, off-heap, rewritten per quantization). Heap arrays (float activations,
 * outputs, biases, tables) are passed as direct arguments of {@link Linker.Option#critical critical} downcalls, without
 * copies; a struct cannot point into the heap.
 */
public final class NativeKernels {
    private NativeKernels() {}

    private static final MethodHandle QGEMM, QUANTIZE, ATTEND, F16GEMM, STREAM_READ, REPACK, RELEASE;
    /** The levels this CPU runs (empty without the native kernels). */
    private static final Set<KernelLevel> LEVELS;
    private static final String STATUS;

    static {
        MethodHandle q = null, qz = null, at = null, f = null, r = null, rp = null, rel = null;
        EnumSet<KernelLevel> levels = EnumSet.noneOf(KernelLevel.class);
        String status;
        try {
            String resource = library();
            SymbolLookup lookup = load(resource);
            if (lookup == null) {
                status = "no native library for " + platform() + " in the jar (built without a C compiler?): Java Vector API fallback";
            } else {
                Linker linker = Linker.nativeLinker();
                MethodHandle cpu = linker.downcallHandle(lookup.findOrThrow("gptq4j_cpu_levels"), FunctionDescriptor.of(JAVA_INT));
                int bits = (int) cpu.invokeExact();
                for (KernelLevel l : KernelLevel.values()) if ((bits >> l.number() & 1) != 0) levels.add(l);
                if (levels.isEmpty()) {
                    status = "this CPU lacks the kernels' instructions (x86-64: AVX2/FMA/F16C): Java Vector API fallback";
                } else {
                    checkStructs(linker, lookup, "gptq4j_struct_layout", NativeWeights.LAYOUT, NativePlanes.LAYOUT);
                    checkStructs(linker, lookup, "gptq4j_kv_struct_layout", KvDescriptor.LAYOUT);
                    Linker.Option critical = Linker.Option.critical(true);
                    // (level, weights, activations, y, ystride, bias, n0, n1)
                    q = linker.downcallHandle(lookup.findOrThrow("gptq4j_qgemm"), FunctionDescriptor.of(JAVA_INT,
                            JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), critical);
                    // (weights, x, in, gather, activations, i0, i1)
                    qz = linker.downcallHandle(lookup.findOrThrow("gptq4j_quantize"), FunctionDescriptor.ofVoid(
                            ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT), critical);
                    // (kv, base, blocks, hd, pos, scale, q, scores, out)
                    at = linker.downcallHandle(lookup.findOrThrow("gptq4j_attend"), FunctionDescriptor.ofVoid(
                            ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS), critical);
                    f = linker.downcallHandle(lookup.findOrThrow("gptq4j_f16gemm"), FunctionDescriptor.ofVoid(
                            JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), critical);
                    r = linker.downcallHandle(lookup.findOrThrow("gptq4j_stream_read"), FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG));
                    rp = linker.downcallHandle(lookup.findOrThrow("gptq4j_repack"), FunctionDescriptor.of(JAVA_INT,
                            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT), critical);
                    rel = linker.downcallHandle(lookup.findOrThrow("gptq4j_release_pages"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
                    status = describe(levels.stream().reduce((a, b) -> b).orElseThrow());
                }
            }
        } catch (Throwable t) {
            status = "native kernels failed to load (" + t + "): Java Vector API fallback";
            q = qz = at = f = r = rp = rel = null;
            levels.clear();
        }
        QGEMM = q;
        QUANTIZE = qz;
        ATTEND = at;
        F16GEMM = f;
        STREAM_READ = r;
        REPACK = rp;
        RELEASE = rel;
        LEVELS = Collections.unmodifiableSet(levels);
        STATUS = status;
        // which platform's library, at which level, or why the Java fallback runs: once, when the kernels are first used
        System.getLogger(NativeKernels.class.getName()).log(System.Logger.Level.INFO, status);
    }

    /** The levels this CPU runs the native kernels at (empty when they are unavailable). */
    public static Set<KernelLevel> levels() {
        return LEVELS;
    }

    /**
     * Checks that this CPU runs the native kernels at {@code level}, so that asking for it (e.g.
     * {@code bench --kernel-level avx2}) measures that level and not another one.
     *
     * @throws IllegalStateException    where the native kernels are unavailable
     * @throws IllegalArgumentException where this CPU does not run {@code level}
     */
    public static KernelLevel requireLevel(KernelLevel level) {
        if (!available()) throw new IllegalStateException("no native kernels to run at " + level.id() + ": " + STATUS);
        if (!LEVELS.contains(level)) {
            throw new IllegalArgumentException("this CPU does not run the " + level.id() + " kernels; it runs "
                    + LEVELS.stream().map(KernelLevel::id).toList());
        }
        return level;
    }

    /** Whether the native kernels loaded and this CPU runs them. */
    public static boolean available() {
        return QGEMM != null;
    }

    /** One line saying what was loaded, or why not. */
    public static String status() {
        return STATUS;
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        os = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macos" : os.startsWith("windows") ? "windows" : os;
        arch = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("arm64") ? "aarch64" : arch;
        return os + "-" + arch;
    }

    /** The jar resource of this platform's library: {@code /native/<os>-<arch>/<file>}. */
    static String library() {
        return "/native/" + platform() + "/" + libraryName();
    }

    /** The native kernels at {@code level}, in words: "native AVX2/FMA kernels from /native/linux-x86_64/libgptq4j.so". */
    static String describe(KernelLevel level) {
        return "native " + level.description() + " kernels from " + library();
    }

    /** The library's file name on this OS: libgptq4j.so (Linux), libgptq4j.dylib (macOS), gptq4j.dll (Windows). */
    static String libraryName() {
        String os = platform();
        return os.startsWith("macos-") ? "libgptq4j.dylib" : os.startsWith("windows-") ? "gptq4j.dll" : "libgptq4j.so";
    }

    /**
     * Loads the library {@code resource} of the jar for the life of the process, or returns null where the jar has
     * none. It is copied to a temporary file (owner-only permissions, in {@code java.io.tmpdir}), loaded, and the
     * file is deleted at once: the loader has mapped it, and the mapping outlives the name, so nothing is left behind
     * even when the JVM later crashes or is killed (deleteOnExit never runs then, and every such run used to leave a
     * copy in /tmp). Linux and macOS allow unlinking a loaded library. Windows does not while it is loaded: there the
     * delete fails and deleteOnExit is the fallback (which cannot remove it either while the DLL is loaded).
     */
    private static SymbolLookup load(String resource) throws IOException {
        try (InputStream in = NativeKernels.class.getResourceAsStream(resource)) {
            if (in == null) return null;
            String name = resource.substring(resource.lastIndexOf('/') + 1);
            Path tmp = Files.createTempFile(name.substring(0, name.indexOf('.')), name.substring(name.indexOf('.')));
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return SymbolLookup.libraryLookup(tmp, Arena.global());
            } finally {
                try {
                    Files.delete(tmp);
                } catch (IOException e) {
                    tmp.toFile().deleteOnExit();
                }
            }
        }
    }

    /**
     * The descriptors' field offsets and sizes in C (written by {@code function}: {@code gptq4j_struct_layout} for
     * {@link NativeWeights#LAYOUT} and {@link NativePlanes#LAYOUT}, {@code gptq4j_kv_struct_layout} for
     * {@link KvDescriptor#LAYOUT}) must be those of the Java layouts: a field added, moved or resized on one side only
     * would make C read the wrong memory, so the library is refused instead.
     */
    private static void checkStructs(Linker linker, SymbolLookup lookup, String function, StructLayout... structs) throws Throwable {
        MethodHandle layout = linker.downcallHandle(lookup.findOrThrow(function),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        List<Long> expected = new ArrayList<>();
        for (StructLayout struct : structs) {
            for (MemoryLayout field : struct.memberLayouts()) {
                if (!(field instanceof PaddingLayout)) expected.add(struct.byteOffset(PathElement.groupElement(field.name().orElseThrow())));
            }
            expected.add(struct.byteSize());
        }
        List<Long> actual = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG, expected.size() + 1);
            int n = (int) layout.invokeExact(out, expected.size() + 1);
            for (int i = 0; i < n; i++) actual.add(out.getAtIndex(JAVA_LONG, i));
        }
        if (!actual.equals(expected)) {
            throw new IllegalStateException("the library's structs (" + function + ": offsets and sizes " + actual
                    + ") do not match " + Arrays.stream(structs).map(s -> s.name().orElseThrow()).toList() + " " + expected);
        }
    }

    /**
     * y[r*ystride + n] for the tokens r of {@code x}, n in [n0, n1): the int8-activation GPTQ product of the planes
     * (see gptq4j.h for the math; every level gives the same bits). {@code y} and {@code bias} (a heap segment or
     * NULL) are heap memory, which only a downcall's direct arguments may point to; the weights and planes are
     * passed as their descriptors.
     */
    static void qgemm(KernelLevel level, PackedGptq w, NativePlanes x, float[] y, int ystride, MemorySegment bias, int n0, int n1) {
        int rc;
        try {
            rc = (int) QGEMM.invokeExact(level.number(), w.nativeDescriptor(), x.descriptor(), MemorySegment.ofArray(y), ystride, bias, n0, n1);
        } catch (Throwable t) {
            throw new IllegalStateException("native qgemm failed", t);
        }
        if (rc != 0) throw new OutOfMemoryError("native qgemm: no memory for the kernel's scratch");
    }

    /** {@link ActivationQuantizer#quantizeChunks} in C, with the same bits, into {@code planes} (laid out for {@code w}). */
    static void quantize(float[] x, int i0, int i1, int in, int[] gather, PackedGptq w, NativePlanes planes) {
        MemorySegment slots = gather == null ? MemorySegment.NULL : MemorySegment.ofArray(gather);
        try {
            QUANTIZE.invokeExact(w.nativeDescriptor(), MemorySegment.ofArray(x), in, slots, planes.descriptor(), i0, i1);
        } catch (Throwable t) {
            throw new IllegalStateException("native quantize failed", t);
        }
    }

    /**
     * {@link Attention#attend} in C (AVX2/FMA) over the cache described by {@code kv} ({@link KvDescriptor}); the heap
     * arrays are passed as direct arguments, {@code q} and {@code out} from their offsets.
     */
    static void attend(MemorySegment kv, long base, int[] blocks, int hd, int pos, float scale, float[] q, int qo,
                       float[] scores, float[] out, int oo) {
        try {
            ATTEND.invokeExact(kv, base, MemorySegment.ofArray(blocks), hd, pos, scale,
                    MemorySegment.ofArray(q).asSlice((long) qo * Float.BYTES), MemorySegment.ofArray(scores),
                    MemorySegment.ofArray(out).asSlice((long) oo * Float.BYTES));
        } catch (Throwable t) {
            throw new IllegalStateException("native attend failed", t);
        }
    }

    /** Repacks output features [n0, n1) of a GPTQ qweight into {@link PackedGptq}'s code layout (see memory.c). */
    static void repack(MemorySegment qweight, int in, int out, int bits, int[] position, int nb, MemorySegment codes, long rowBytes, int n0, int n1) {
        int rc;
        try {
            rc = (int) REPACK.invokeExact(qweight, in, out, bits, MemorySegment.ofArray(position), nb, codes, rowBytes, n0, n1);
        } catch (Throwable t) {
            throw new IllegalStateException("native repack failed", t);
        }
        if (rc != 0) throw new OutOfMemoryError("native repack: out of memory");
    }

    /**
     * Drops this process's resident pages of a (read-only, file-mapped) segment whose bytes are no longer needed, so
     * the original GPTQ tensors stop counting in RSS once repacked. A no-op without the native library.
     */
    public static void releasePages(MemorySegment seg) {
        if (RELEASE == null || !seg.isNative() || !seg.isMapped()) return;
        try {
            int ignored = (int) RELEASE.invokeExact(seg, seg.byteSize());
        } catch (Throwable t) {
            // best effort: the pages stay resident
        }
    }

    /** Reads {@code bytes} bytes of a 32-byte aligned segment from {@code offset} once (a bandwidth probe); returns their xor. */
    public static long streamRead(MemorySegment seg, long offset, long bytes) {
        try {
            return (long) STREAM_READ.invokeExact(seg.asSlice(offset, bytes), bytes);
        } catch (Throwable t) {
            throw new IllegalStateException("native stream read failed", t);
        }
    }

    /** y[r*ystride + n] = sum_k W[n][k] x[r][k] + bias[n] over an F16 {@code [out][in]} matrix, n in [n0, n1). */
    static void f16gemm(KernelLevel level, MemorySegment weight, int in, float[] x, int rows, float[] y, int ystride,
                        MemorySegment bias, int n0, int n1) {
        try {
            F16GEMM.invokeExact(level.number(), weight, in, MemorySegment.ofArray(x), rows, MemorySegment.ofArray(y), ystride, bias, n0, n1);
        } catch (Throwable t) {
            throw new IllegalStateException("native f16gemm failed", t);
        }
    }
}
