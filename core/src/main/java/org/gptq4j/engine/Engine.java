package org.gptq4j.engine;

import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.KvLayout;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.LlamaConfig;
import org.gptq4j.model.LlamaModel;
import org.gptq4j.model.ModelFolder;
import org.gptq4j.scheduler.Scheduler;
import org.gptq4j.scheduler.SchedulerConfig;
import org.gptq4j.scheduler.StepResult;
import org.gptq4j.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An in-process inference engine for one model: many concurrent generations share one forward pass per step
 * (continuous batching over a paged KV cache, with prefix caching). Build one per model with {@link #builder()},
 * share it across threads, and close it when done.
 *
 * <pre>{@code
 * try (Engine engine = Engine.builder().modelPath(Path.of("models/llama-2-7b-gptq")).build()) {
 *     int[] prompt = ...; // BOS + the rendered chat template's ids
 *     GenerationResult r = engine.generate(GenerationRequest.of(prompt, SamplingParameters.greedy()));
 * }
 * }</pre>
 *
 * <p>The engine owns the model, its tokenizer, the KV cache, a compute pool and one engine thread that runs the
 * step loop; listeners are called on that thread. {@link #submit} and {@link #generate} may be called from any
 * thread.
 */
public final class Engine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Engine.class.getName());
    private static final long IDLE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ModelFolder folder;
    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private final PagedKvCache cache;
    private final KvCacheManager kv;
    private final ComputePool pool;
    private final KernelOptions kernelOptions;
    private final EngineLimits limits;
    private final Scheduler scheduler;
    private final MetricsRecorder metrics;
    private final Set<Integer> eosTokens;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean closing;

    private Engine(Builder b, ModelFolder folder, KernelOptions kernelOptions, LlamaModel model, Tokenizer tokenizer,
                   ComputePool pool) {
        this.folder = folder;
        this.kernelOptions = kernelOptions;
        this.model = model;
        this.tokenizer = tokenizer;
        this.pool = pool;
        LlamaConfig config = model.config();
        this.limits = b.limits.resolve(config);
        KvLayout layout = model.kvLayout(b.blockSize, b.blocks(model.kvLayout(b.blockSize, 1).bytesPerBlock(), limits));
        this.cache = new PagedKvCache(layout);
        this.kv = new KvCacheManager(layout, b.prefixCaching);
        this.scheduler = new Scheduler(batch -> model.forward(batch, cache, pool), kv, config.vocabSize(),
                new SchedulerConfig(limits.maxBatchPrefillTokens(), limits.maxConcurrentSequences(), limits.maxQueuedRequests(),
                        limits.queueTimeout()), System::nanoTime);
        this.metrics = new MetricsRecorder(scheduler, kv, b.metricsListener);
        this.eosTokens = Set.copyOf(config.eosTokenIds());
        this.thread = new Thread(this::loop, "gptq4j-engine");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Queues a generation and returns at once; output goes to {@code listener} (on the engine thread) and to the
     * handle's future.
     *
     * @throws RequestRejectedException when the request can never run (too long for {@code max-input-length},
     *                                  {@code max-total-tokens} or the whole KV cache) or the queue is full; the
     *                                  listener is not called
     * @throws IllegalArgumentException for a token id outside the vocabulary
     * @throws EngineClosedException    after {@link #close()}
     */
    public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        if (closing) throw new EngineClosedException("the engine is closed");
        int vocab = model.config().vocabSize();
        for (int id : request.promptView()) {
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("prompt token id " + id + " is outside the vocabulary [0, " + vocab + ")");
        }
        try {
            checkFits(request);
        } catch (RequestRejectedException e) {
            metrics.rejected(e);
            throw e;
        }
        Set<Integer> stops = new HashSet<>(request.parameters().stopTokenIds());
        if (!request.ignoreEos()) stops.addAll(eosTokens);
        EngineRequest r = new EngineRequest(request, listener, this, Set.copyOf(stops));
        boolean queued;
        try {
            queued = scheduler.submit(r.sequence());
        } catch (IllegalStateException e) {
            throw new EngineClosedException("the engine is closed");
        }
        if (!queued) {
            RequestRejectedException e = new RequestRejectedException(RequestRejectedException.Limit.MAX_QUEUED_REQUESTS,
                    limits.maxQueuedRequests() + 1L, limits.maxQueuedRequests(), limits.maxQueuedRequests()
                    + " requests are already waiting, max-queued-requests is " + limits.maxQueuedRequests() + "; retry later");
            metrics.rejected(e);
            throw e;
        }
        metrics.accepted(request.promptLength());
        return r;
    }

    /** Refuses, with the limit and the numbers, a request that could never run. */
    private void checkFits(GenerationRequest request) {
        int prompt = request.promptLength(), maxNew = request.parameters().maxNewTokens();
        if (prompt > limits.maxInputLength()) {
            throw new RequestRejectedException(RequestRejectedException.Limit.MAX_INPUT_LENGTH, prompt, limits.maxInputLength(),
                    "the prompt has " + prompt + " tokens, max-input-length is " + limits.maxInputLength());
        }
        long total = (long) prompt + maxNew;
        if (total > limits.maxTotalTokens()) {
            throw new RequestRejectedException(RequestRejectedException.Limit.MAX_TOTAL_TOKENS, total, limits.maxTotalTokens(),
                    "the prompt's " + prompt + " tokens + maxNewTokens " + maxNew + " = " + total + " exceed max-total-tokens "
                            + limits.maxTotalTokens() + "; lower maxNewTokens or shorten the prompt");
        }
        int blocks = kv.blocksFor((int) total), capacity = kv.capacity();
        if (blocks > capacity) {
            throw new RequestRejectedException(RequestRejectedException.Limit.KV_CACHE_BLOCKS, blocks, capacity,
                    total + " tokens need " + blocks + " KV blocks of " + kv.blockSize() + " positions, the KV cache has "
                            + capacity + " blocks (" + (long) capacity * kv.blockSize() + " positions); raise kvCacheBytes or lower maxNewTokens");
        }
    }

    /**
     * Runs a generation to its end on the calling thread's behalf.
     *
     * @throws RequestRejectedException see {@link #submit}, and for a queue timeout
     * @throws GenerationException      when the generation failed, or the calling thread was interrupted (the
     *                                  generation is then cancelled)
     * @throws EngineClosedException    when the engine is or gets closed
     * @throws IllegalStateException    when called from a listener (the engine thread)
     */
    public GenerationResult generate(GenerationRequest request) {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("generate() would wait for the engine thread on the engine thread: "
                    + "call submit() from a listener instead");
        }
        if (Thread.currentThread().isInterrupted()) { // fail at once: a short generation could otherwise finish first
            throw new GenerationException("interrupted before the generation started; nothing was submitted", new InterruptedException());
        }
        GenerationHandle handle = submit(request, GenerationListener.NONE);
        try {
            return handle.result().get();
        } catch (InterruptedException e) {
            handle.cancel();
            Thread.currentThread().interrupt();
            throw new GenerationException("interrupted while waiting for the generation; it was cancelled", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new GenerationException("generation failed: " + e.getCause(), e.getCause());
        }
    }

    /** The model's tokenizer (thread-safe), for rendering prompts and counting tokens. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The model folder the engine was built from, as read once at build: its config, quantization, chat-template
     * source, special-token texts and generation defaults.
     */
    public ModelFolder model() {
        return folder;
    }

    /** The model's architecture; the same as {@code model().config()}. */
    public LlamaConfig modelConfig() {
        return model.config();
    }

    /**
     * The kernel options in force: backend (the requested one; {@link LlamaModel#kernels()} says what runs), native
     * level, threads and pack cache.
     */
    public KernelOptions kernelOptions() {
        return kernelOptions;
    }

    /** The limits in force, with the model-derived values filled in. */
    public EngineLimits limits() {
        return limits;
    }

    /**
     * True while the step loop runs and accepts requests; false once the engine was closed or its loop died
     * (health checks report the latter as DOWN).
     */
    public boolean isRunning() {
        return !closing && thread.isAlive();
    }

    /** The latest metrics snapshot; any thread, cheap. */
    public EngineMetrics metrics() {
        return metrics.latest();
    }

    Scheduler scheduler() {
        return scheduler;
    }

    /** The loaded model (for tests of what it runs on). */
    LlamaModel llama() {
        return model;
    }

    MetricsRecorder metricsRecorder() {
        return metrics;
    }

    /** Blocks of {@link #kvCacheBlockSize()} positions in the KV cache. */
    public int kvCacheBlocks() {
        return kv.capacity();
    }

    public int kvCacheBlockSize() {
        return kv.blockSize();
    }

    private void loop() {
        try {
            while (!closing) {
                if (!scheduler.hasWork()) {
                    metrics.idle(System.nanoTime());
                    scheduler.awaitWork(IDLE_WAIT_NANOS);
                    continue;
                }
                StepResult step = scheduler.step();
                metrics.step(step, System.nanoTime());
            }
        } catch (InterruptedException e) {
            LOG.log(System.Logger.Level.WARNING, "engine thread interrupted; shutting down");
        } catch (Throwable t) {
            // Whatever a request's own work throws fails that request inside step(); this came from the scheduler's
            // bookkeeping, outside any request, so its state (KV blocks, queues) can no longer be trusted.
            LOG.log(System.Logger.Level.ERROR, "engine loop failed outside any request; closing the engine and "
                    + "failing every pending request", t);
        } finally {
            closing = true;
            scheduler.shutdown();
            metrics.idle(System.nanoTime());
            pool.close();
            cache.close();
            model.close();
        }
    }

    /**
     * Stops the step loop after its current step, fails every pending request with {@link EngineClosedException},
     * and releases the KV cache, the compute threads and the model's weight memory. Waits for the loop to stop
     * unless called from a listener (on the engine thread). Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        closing = true;
        scheduler.wake();
        if (Thread.currentThread() == thread) return;
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /**
     * Configures an {@link Engine}. Only the model ({@link #modelPath} or {@link #model}) is required. The KV cache defaults to 1 GiB, and
     * never less than one request of {@code maxTotalTokens}; set {@link #kvCacheBytes} or {@link #kvCacheBlocks}
     * (not both) to size it. How the kernels run ({@link #kernelOptions}) is this engine's alone: other engines in the
     * JVM may use other backends, levels and threads.
     */
    public static final class Builder {
        private Path modelPath;
        private ModelFolder model;
        private Tokenizer tokenizer;
        private KernelOptions kernelOptions; // null: KernelOptions.fromSystemProperties() at build
        private Integer threads;
        private KernelBackend kernelBackend;
        private long kvCacheBytes = -1;
        private int kvCacheBlocks = -1;
        private int blockSize = 16;
        private boolean prefixCaching = true;
        private EngineLimits limits = EngineLimits.defaults();
        private EngineMetricsListener metricsListener = new EngineMetricsListener() {};

        private Builder() {}

        /** A model folder laid out like a Hugging Face download (config.json, safetensors, tokenizer). */
        public Builder modelPath(Path modelPath) {
            this.modelPath = modelPath;
            this.model = null;
            return this;
        }

        /** A model folder already read (e.g. to check its config first), in place of {@link #modelPath}. */
        public Builder model(ModelFolder model) {
            this.model = model;
            this.modelPath = model == null ? null : model.path();
            return this;
        }

        /** Overrides the tokenizer read from the model folder. */
        public Builder tokenizer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /**
         * The kernels' options: backend, native level, threads, pack cache (default:
         * {@link KernelOptions#fromSystemProperties()}, the defaults with the {@code -Dgptq4j.*} switches applied).
         * {@link #threads} and {@link #kernelBackend}, when set, override theirs.
         */
        public Builder kernelOptions(KernelOptions kernelOptions) {
            this.kernelOptions = Objects.requireNonNull(kernelOptions, "kernelOptions");
            return this;
        }

        /**
         * Compute threads (default: one per physical core, or {@code -Dgptq4j.threads}), at most
         * {@link ComputePool#maxThreads()}.
         *
         * @throws IllegalArgumentException outside {@code [1, ComputePool.maxThreads()]}
         */
        public Builder threads(int threads) {
            this.threads = ComputePool.checkThreads(threads, "threads");
            return this;
        }

        /** The kernels that run the model (default: native where it runs here, else java, or {@code -Dgptq4j.kernel}). */
        public Builder kernelBackend(KernelBackend kernelBackend) {
            this.kernelBackend = Objects.requireNonNull(kernelBackend, "kernelBackend");
            return this;
        }

        /** KV cache memory budget in bytes (float32 keys and values of every layer). */
        public Builder kvCacheBytes(long kvCacheBytes) {
            if (kvCacheBytes < 1) throw new IllegalArgumentException("kvCacheBytes must be >= 1, but was " + kvCacheBytes);
            this.kvCacheBytes = kvCacheBytes;
            return this;
        }

        /** KV cache size in blocks of {@link #blockSize} positions. */
        public Builder kvCacheBlocks(int kvCacheBlocks) {
            if (kvCacheBlocks < 1) throw new IllegalArgumentException("kvCacheBlocks must be >= 1, but was " + kvCacheBlocks);
            this.kvCacheBlocks = kvCacheBlocks;
            return this;
        }

        /** Positions per KV block (default 16); also the granularity of prefix sharing. */
        public Builder blockSize(int blockSize) {
            if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, but was " + blockSize);
            this.blockSize = blockSize;
            return this;
        }

        public Builder limits(EngineLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** Reuse KV blocks of common prompt prefixes across requests (default on). */
        public Builder prefixCaching(boolean prefixCaching) {
            this.prefixCaching = prefixCaching;
            return this;
        }

        public Builder metricsListener(EngineMetricsListener metricsListener) {
            this.metricsListener = Objects.requireNonNull(metricsListener, "metricsListener");
            return this;
        }

        /** Loads the model and tokenizer and starts the engine thread. */
        public Engine build() {
            if (modelPath == null) throw new IllegalStateException("modelPath is required");
            if (kvCacheBytes > 0 && kvCacheBlocks > 0) throw new IllegalStateException("set kvCacheBytes or kvCacheBlocks, not both");
            KernelOptions options = kernelOptions();
            ModelFolder folder = this.model != null ? this.model : ModelFolder.read(modelPath);
            LlamaModel model = LlamaModel.load(folder, options);
            ComputePool pool = null;
            try {
                Tokenizer tok = tokenizer != null ? tokenizer : folder.loadTokenizer();
                pool = new ComputePool(options.threads());
                return new Engine(this, folder, options, model, tok, pool);
            } catch (RuntimeException | Error e) {
                if (pool != null) pool.close();
                model.close();
                throw e;
            }
        }

        /** The options set, or read from the system properties, with {@link #threads} and {@link #kernelBackend} over them. */
        private KernelOptions kernelOptions() {
            KernelOptions.Builder b = (kernelOptions != null ? kernelOptions : KernelOptions.fromSystemProperties()).toBuilder();
            if (threads != null) b.threads(threads);
            if (kernelBackend != null) b.backend(kernelBackend);
            return b.build();
        }

        /** KV blocks of {@code perBlock} bytes each: as many as asked for, else fitting kvCacheBytes, else 1 GiB's worth. */
        int blocks(long perBlock, EngineLimits resolved) {
            if (kvCacheBlocks > 0) return kvCacheBlocks;
            if (kvCacheBytes > 0) {
                long blocks = kvCacheBytes / perBlock;
                if (blocks < 1) {
                    throw new IllegalArgumentException("kvCacheBytes " + kvCacheBytes + " is less than one KV block (" + perBlock + " bytes)");
                }
                return (int) Math.min(blocks, Integer.MAX_VALUE);
            }
            long oneRequest = (resolved.maxTotalTokens() + blockSize - 1) / blockSize;
            return (int) Math.max(oneRequest, Math.min((1L << 30) / perBlock, Integer.MAX_VALUE));
        }
    }
}
