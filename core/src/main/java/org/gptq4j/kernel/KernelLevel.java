package org.gptq4j.kernel;

import java.util.Locale;

/**
 * An instruction-set level of the native kernels ({@link KernelBackend#NATIVE}), each a product target with its own
 * kernels; every level gives the same bits. The levels are not nested: Zen 4 and Ice Lake run {@link #AVX512} but not
 * {@link #AVX_VNNI}, Alder Lake runs {@link #AVX_VNNI} without {@link #AVX512}; {@link NativeKernels#levels()} says
 * which this CPU runs.
 */
public enum KernelLevel {
    /** AVX2, FMA and F16C: 256-bit kernels, one row and up to 4 tokens per pass (required by every level). */
    AVX2("avx2", "AVX2/FMA"),
    /** AVX-VNNI: the 256-bit kernels with one-instruction int8 dot products. */
    AVX_VNNI("avx-vnni", "AVX-VNNI"),
    /** AVX-512 VNNI (with BW and VL): two rows and up to 4 tokens per 512-bit pass, for decode and batches. */
    AVX512("avx512", "AVX-512 VNNI"),
    /** AMX-INT8: 16 x 16 tiles for batches of 2 tokens or more; single tokens run {@link #AVX512}. */
    AMX("amx", "AMX-INT8 (batches) + AVX-512 VNNI (one token)"),
    /** aarch64 NEON (every aarch64 CPU): 128-bit kernels, int8 products by widening multiplies (Linux, macOS). */
    NEON("neon", "NEON"),
    /** aarch64 NEON with the ARMv8.2 dot-product instructions (sdot): Apple Silicon, Graviton 2 and later, Ampere. */
    NEON_DOTPROD("neon-dotprod", "NEON + dot products (sdot)"),
    /**
     * aarch64 NEON with the dot products and the int8 matrix multiplies (FEAT_I8MM: smmla) for batches of 2 tokens or
     * more, 4 rows x 4 tokens per tile; single tokens run {@link #NEON_DOTPROD}'s kernel. Apple M2 and later,
     * Graviton 3 and 4 (Neoverse V1, V2). Checked for bits under emulation only; its speed is unmeasured.
     */
    NEON_I8MM("neon-i8mm", "NEON + dot products + i8mm (smmla, batches)");

    private final String id;
    private final String description;

    KernelLevel(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /**
     * The name used by {@code -Dgptq4j.native.level} and {@code bench --kernel-level}: avx2, avx-vnni, avx512, amx,
     * neon, neon-dotprod, neon-i8mm.
     */
    public String id() {
        return id;
    }

    /** What runs at this level, e.g. "AVX-512 VNNI". */
    public String description() {
        return description;
    }

    /** The highest level: as a cap ({@link KernelOptions#nativeLevel}), no cap at all. */
    public static KernelLevel highest() {
        return NEON_I8MM;
    }

    /** The level's number in the C library (gptq4j.h): 1 to 4 on x86-64, 5 to 7 on aarch64. */
    int number() {
        return ordinal() + 1;
    }

    static KernelLevel ofNumber(int number) {
        return values()[number - 1];
    }

    /**
     * The level named {@code name} ({@link #id()}, any case) or numbered {@code 1..7}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static KernelLevel of(String name) {
        String s = name.trim().toLowerCase(Locale.ROOT);
        for (KernelLevel l : values()) {
            if (l.id.equals(s) || String.valueOf(l.number()).equals(s)) return l;
        }
        throw new IllegalArgumentException("'" + name + "' is not a kernel level: one of avx2, avx-vnni, avx512, amx, neon, neon-dotprod, neon-i8mm (or 1-7)");
    }
}
