package org.gptq4j.kernel;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * How one engine runs its kernels: which {@link KernelBackend}, the highest {@link KernelLevel} of the native kernels,
 * how many compute threads, and where repacked GPTQ layers are cached ({@link PackCache}). Immutable; built by
 * {@link #builder()} (or {@code Engine.builder()}) and carried down to the layers, so that two engines in one JVM can
 * run with different options. The defaults stand here and nowhere else; system properties are read only by
 * {@link #fromSystemProperties()}, which the edges (the engine builder's defaults, the command line, the benchmarks)
 * call to keep the {@code -D} switches working:
 * <ul>
 *   <li>{@value #BACKEND_PROPERTY}: {@code native|java|float|auto} (default auto: native where its library loads on
 *       this CPU, else java);</li>
 *   <li>{@value #LEVEL_PROPERTY}: {@code avx2|avx-vnni|avx512|amx|neon|neon-dotprod|neon-i8mm} or {@code 1..7}, a cap
 *       on the native level (default the CPU's highest; an unknown value is ignored, and said);</li>
 *   <li>{@value #THREADS_PROPERTY}: compute threads (default one per physical core), within
 *       {@link ComputePool#checkThreads};</li>
 *   <li>{@value #PACK_CACHE_PROPERTY}: the pack cache's folder, or {@code off} (default {@code ~/.cache/gptq4j});</li>
 *   <li>{@value #PACK_CACHE_MIN_BYTES_PROPERTY}: checkpoints smaller than this are repacked every time instead
 *       (default 256 MiB).</li>
 * </ul>
 *
 * @param backend           the kernels that run the layers ({@link KernelBackend#NATIVE} falls back to
 *                          {@link KernelBackend#JAVA} where the native library cannot run)
 * @param nativeLevel       the native kernels run at the highest level this CPU runs at or below it
 * @param threads           compute threads of the engine's pool
 * @param packCacheDir      the pack cache's folder, or empty to turn it off
 * @param packCacheMinBytes checkpoints under this many bytes are not cached
 */
public record KernelOptions(KernelBackend backend, KernelLevel nativeLevel, int threads, Optional<Path> packCacheDir,
                            long packCacheMinBytes) {
    public static final String BACKEND_PROPERTY = "gptq4j.kernel";
    public static final String LEVEL_PROPERTY = "gptq4j.native.level";
    public static final String THREADS_PROPERTY = "gptq4j.threads";
    public static final String PACK_CACHE_PROPERTY = "gptq4j.cache";
    public static final String PACK_CACHE_MIN_BYTES_PROPERTY = "gptq4j.cache.minBytes";
    /** Checkpoints under this size are repacked at every load instead of cached. */
    public static final long DEFAULT_PACK_CACHE_MIN_BYTES = 256L << 20;

    public KernelOptions {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(nativeLevel, "nativeLevel");
        Objects.requireNonNull(packCacheDir, "packCacheDir");
        ComputePool.checkThreads(threads, "threads");
        if (packCacheMinBytes < 0) throw new IllegalArgumentException("packCacheMinBytes must be >= 0, got " + packCacheMinBytes);
    }

    /** The defaults, without looking at system properties: see the class comment. */
    public static KernelOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().backend(backend).nativeLevel(nativeLevel).threads(threads).packCacheMinBytes(packCacheMinBytes);
        packCacheDir.ifPresentOrElse(b::packCacheDir, b::packCacheOff);
        return b;
    }

    /** The defaults with this JVM's {@code -Dgptq4j.*} switches applied (see the class comment). */
    public static KernelOptions fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /**
     * The defaults with the switches of {@code properties} applied.
     *
     * @throws IllegalArgumentException for a backend, thread count or byte count that is not one
     * @throws IllegalStateException    for {@code gptq4j.kernel=native} where the native kernels cannot run
     */
    static KernelOptions fromProperties(Properties properties) {
        Builder b = builder();
        String backend = properties.getProperty(BACKEND_PROPERTY, "").strip();
        if (!backend.isEmpty() && !backend.equalsIgnoreCase("auto")) {
            KernelBackend chosen;
            try {
                chosen = KernelBackend.valueOf(backend.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-D" + BACKEND_PROPERTY + "=" + backend + " is not one of native, java, float, auto");
            }
            if (chosen == KernelBackend.NATIVE && !NativeKernels.available()) {
                throw new IllegalStateException("-D" + BACKEND_PROPERTY + "=native, but the native kernels cannot run here: " + NativeKernels.status());
            }
            b.backend(chosen);
        }
        String level = properties.getProperty(LEVEL_PROPERTY, "");
        if (!level.isBlank()) {
            try {
                b.nativeLevel(KernelLevel.of(level));
            } catch (IllegalArgumentException e) {
                System.err.println("gptq4j: -D" + LEVEL_PROPERTY + " ignored: " + e.getMessage());
            }
        }
        String threads = properties.getProperty(THREADS_PROPERTY);
        if (threads != null && !threads.isBlank()) b.threads(ComputePool.threadsProperty(threads));
        String cache = properties.getProperty(PACK_CACHE_PROPERTY, "");
        if (cache.equalsIgnoreCase("off")) b.packCacheOff();
        else if (!cache.isBlank()) b.packCacheDir(Path.of(cache));
        String minBytes = properties.getProperty(PACK_CACHE_MIN_BYTES_PROPERTY);
        if (minBytes != null && !minBytes.isBlank()) {
            try {
                b.packCacheMinBytes(Long.parseLong(minBytes.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + PACK_CACHE_MIN_BYTES_PROPERTY + " must be a whole number of bytes, got '"
                        + minBytes.strip() + "'", e);
            }
        }
        return b.build();
    }

    /** Builds {@link KernelOptions}; every value has its default (see the class comment) until set. */
    public static final class Builder {
        private KernelBackend backend; // null: auto
        private KernelLevel nativeLevel = KernelLevel.highest();
        private Integer threads; // null: one per physical core
        private Optional<Path> packCacheDir = Optional.of(Path.of(System.getProperty("user.home"), ".cache", "gptq4j"));
        private long packCacheMinBytes = DEFAULT_PACK_CACHE_MIN_BYTES;

        private Builder() {}

        /** The kernels that run the layers (default: native where it runs here, else java). */
        public Builder backend(KernelBackend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** Caps the native kernels' level (default: the CPU's highest); every level gives the same bits. */
        public Builder nativeLevel(KernelLevel nativeLevel) {
            this.nativeLevel = Objects.requireNonNull(nativeLevel, "nativeLevel");
            return this;
        }

        /**
         * Compute threads (default: one per physical core).
         *
         * @throws IllegalArgumentException outside {@code [1, ComputePool.maxThreads()]}
         */
        public Builder threads(int threads) {
            this.threads = ComputePool.checkThreads(threads, "threads");
            return this;
        }

        /** Caches repacked GPTQ layers in {@code dir} (default {@code ~/.cache/gptq4j}). */
        public Builder packCacheDir(Path dir) {
            this.packCacheDir = Optional.of(dir);
            return this;
        }

        /** Repacks GPTQ layers at every load, caching nothing. */
        public Builder packCacheOff() {
            this.packCacheDir = Optional.empty();
            return this;
        }

        /** Checkpoints under this many bytes are repacked every time instead of cached (default 256 MiB). */
        public Builder packCacheMinBytes(long packCacheMinBytes) {
            if (packCacheMinBytes < 0) throw new IllegalArgumentException("packCacheMinBytes must be >= 0, got " + packCacheMinBytes);
            this.packCacheMinBytes = packCacheMinBytes;
            return this;
        }

        public KernelOptions build() {
            return new KernelOptions(backend != null ? backend : KernelBackend.fastestAvailable(), nativeLevel,
                    threads != null ? threads : ComputePool.defaultThreads(), packCacheDir, packCacheMinBytes);
        }
    }
}
