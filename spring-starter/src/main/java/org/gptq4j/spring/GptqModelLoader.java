package org.gptq4j.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineMetrics;
import org.gptq4j.engine.EngineMetricsListener;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.hub.HubClient;
import org.gptq4j.hub.HubConfig;
import org.gptq4j.hub.HubException;
import org.gptq4j.hub.ModelRef;
import org.gptq4j.model.LlamaConfig;
import org.gptq4j.model.ModelFolder;

/**
 * Resolves the configured model (a local folder, or a Hub repository downloaded into the huggingface_hub cache),
 * loads the one {@link Engine} every bean shares, and closes it with the application context. Loading happens once,
 * on the first {@link #engine()} call; when that is (at startup, or on the first request) is {@link LazyBean}'s
 * decision, not the loader's. A failed load is not cached: the next call tries again (a network that came back, a download that can
 * now finish), and {@link #lastFailure()} keeps it for the health indicator.
 *
 * <p>Configuration problems surface as {@link GptqPropertyException}s naming the property to change.
 */
public class GptqModelLoader implements AutoCloseable {
    private static final Log LOG = LogFactory.getLog(GptqModelLoader.class);

    private final GptqProperties engineProperties;
    private final GptqChatModelProperties modelProperties;
    private final Supplier<HubConfig> hubConfig;
    private final Supplier<List<EngineMetricsListener>> metricsListeners;
    private volatile Engine engine;
    private volatile Path modelFolder;
    private volatile RuntimeException lastFailure;
    private volatile boolean loading;
    private boolean closed;

    /**
     * @param hubConfig        the Hub settings, read only when {@code repo} is to be downloaded
     * @param metricsListeners told of the engine's steps and requests (Micrometer, user beans); asked for once, when
     *                         the engine is built
     */
    public GptqModelLoader(GptqProperties engineProperties, GptqChatModelProperties modelProperties,
                           Supplier<HubConfig> hubConfig, Supplier<List<EngineMetricsListener>> metricsListeners) {
        this.engineProperties = Objects.requireNonNull(engineProperties, "engineProperties");
        this.modelProperties = Objects.requireNonNull(modelProperties, "modelProperties");
        this.hubConfig = Objects.requireNonNull(hubConfig, "hubConfig");
        this.metricsListeners = Objects.requireNonNull(metricsListeners, "metricsListeners");
        if (!modelProperties.hasModel()) {
            throw new GptqPropertyException(GptqChatModelProperties.REPO, null, "no model is configured",
                    "a Hub repository id (org/name), or a local folder in " + GptqChatModelProperties.MODEL_PATH);
        }
    }

    /** The engine, loading the model first if that has not happened yet. Thread-safe. */
    public Engine engine() {
        Engine loaded = engine;
        if (loaded != null) return loaded;
        synchronized (this) {
            if (closed) throw new IllegalStateException("the gptq4j model loader is closed");
            if (engine == null) {
                loading = true;
                try {
                    engine = load();
                    lastFailure = null;
                } catch (RuntimeException e) {
                    lastFailure = e;
                    throw e;
                } finally {
                    loading = false;
                }
            }
            return engine;
        }
    }

    /** The engine if it is loaded; never loads it. */
    public Optional<Engine> loadedEngine() {
        return Optional.ofNullable(engine);
    }

    /** True while a call to {@link #engine()} resolves, downloads or loads the model; never blocks. */
    public boolean isLoading() {
        return loading;
    }

    /** The folder the model was loaded from, once known. */
    public Optional<Path> modelFolder() {
        return Optional.ofNullable(modelFolder);
    }

    /** Why the last load failed, if it did and has not succeeded since. */
    public Optional<RuntimeException> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** What the properties name: {@code org/name:branch}, or the local folder. */
    public String modelDescription() {
        ModelRef ref = modelProperties.modelRef();
        return ref != null ? ref.toString() : modelProperties.modelPath().toString();
    }

    private Engine load() {
        long start = System.nanoTime();
        Path folder = resolve();
        ModelFolder model = readFolder(folder);
        LlamaConfig config = model.config();
        checkContext(config);
        LOG.info("Loading " + modelDescription() + " from " + folder + " (" + config.numLayers() + " layers, context "
                + config.maxPositionEmbeddings() + ")");
        Engine.Builder builder = Engine.builder().model(model).limits(engineProperties.engineLimits())
                .prefixCaching(engineProperties.prefixCaching())
                .metricsListener(new CompositeMetricsListener(metricsListeners.get()));
        if (engineProperties.threads() != null) builder.threads(engineProperties.threads());
        if (engineProperties.kvCacheMemory() != null) builder.kvCacheBytes(engineProperties.kvCacheMemory().toBytes());
        Engine built;
        try {
            built = builder.build();
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException && engineProperties.kvCacheMemory() != null
                    && String.valueOf(e.getMessage()).startsWith("kvCacheBytes")) {
                throw new GptqPropertyException(GptqProperties.PREFIX + ".kv-cache-memory",
                        engineProperties.kvCacheMemory(), e.getMessage(), "at least one KV block", e);
            }
            throw modelProblem(folder, "the model in " + folder + " cannot be loaded: " + e.getMessage(), e);
        }
        modelFolder = folder;
        LOG.info(String.format(java.util.Locale.ROOT,
                "Loaded %s in %.1f s: %d KV blocks of %d positions, limits %s", modelDescription(),
                (System.nanoTime() - start) / 1e9, built.kvCacheBlocks(), built.kvCacheBlockSize(), built.limits()));
        return built;
    }

    /** The model folder: {@code model-path} as is, or {@code repo} downloaded (or found) in the Hub cache. */
    private Path resolve() {
        Path local = modelProperties.modelPath();
        if (local != null) {
            if (!Files.isDirectory(local)) {
                throw new GptqPropertyException(GptqChatModelProperties.MODEL_PATH, local, "the folder "
                        + local.toAbsolutePath() + " does not exist", folderAllowed());
            }
            return local;
        }
        ModelRef ref = modelProperties.modelRef();
        HubConfig config = hubConfig.get();
        LOG.info("Resolving " + ref + " from " + (config.offline() ? "the cache " + config.cacheDir() + " (offline)"
                : config.endpoint() + " into the cache " + config.cacheDir()));
        try (HubClient hub = new HubClient(config)) {
            try {
                return hub.download(ref, new LoggingDownloadListener());
            } catch (HubException e) {
                throw HubFailures.toPropertyException(e, ref, hub); // while the client is open: it may ask the Hub
            }
        }
    }

    private ModelFolder readFolder(Path folder) {
        try {
            return ModelFolder.read(folder);
        } catch (RuntimeException e) {
            throw modelProblem(folder, "the folder " + folder + " holds no readable Llama model configuration: "
                    + e.getMessage(), e);
        }
    }

    /** Limits beyond the model's context are a property error, found before the weights are mapped. */
    private void checkContext(LlamaConfig config) {
        int context = config.maxPositionEmbeddings();
        int total = engineProperties.maxTotalTokens(), input = engineProperties.maxInputLength();
        if (total > context) {
            throw new GptqPropertyException(GptqProperties.PREFIX + ".max-total-tokens", total, "the model's context"
                    + " is " + context + " positions (max_position_embeddings)", "1 to " + context + ", or 0 for "
                    + context);
        }
        if (total == 0 && input >= context) {
            throw new GptqPropertyException(GptqProperties.PREFIX + ".max-input-length", input, "the model's context"
                    + " is " + context + " positions, and a request needs room for one new token", "1 to "
                    + (context - 1) + ", or 0 for " + (context - 1));
        }
    }

    private GptqPropertyException modelProblem(Path folder, String reason, RuntimeException cause) {
        boolean local = modelProperties.modelPath() != null;
        return new GptqPropertyException(local ? GptqChatModelProperties.MODEL_PATH : GptqChatModelProperties.REPO,
                local ? modelProperties.modelPath() : modelProperties.repo(), reason, local ? folderAllowed()
                : "a Hub repository (and branch) holding a GPTQ or fp16 Llama model", cause);
    }

    private static String folderAllowed() {
        return "a folder holding a GPTQ (or fp16) Llama model: config.json, *.safetensors and tokenizer.model or"
                + " tokenizer.json";
    }

    /**
     * Closes the engine (its threads and mapped files) if it was loaded; later {@link #engine()} calls fail.
     * Idempotent: the drain closes it first, the context's destruction again.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Engine loaded = engine;
        if (loaded != null) {
            LOG.info("Closing the gptq4j engine of " + modelDescription());
            loaded.close();
        }
    }

    /** Fans the engine's metrics out to several listeners; one that throws does not keep the others from hearing. */
    private record CompositeMetricsListener(List<EngineMetricsListener> listeners) implements EngineMetricsListener {
        @Override
        public void onStep(EngineMetrics snapshot) {
            each(l -> l.onStep(snapshot));
        }

        @Override
        public void onRequestCompleted(GenerationResult result) {
            each(l -> l.onRequestCompleted(result));
        }

        @Override
        public void onRequestFailed(Throwable error) {
            each(l -> l.onRequestFailed(error));
        }

        private void each(java.util.function.Consumer<EngineMetricsListener> call) {
            for (EngineMetricsListener listener : listeners) {
                try {
                    call.accept(listener);
                } catch (RuntimeException e) {
                    LOG.warn("Engine metrics listener " + listener + " failed", e);
                }
            }
        }
    }

    /** The branches a cache knows for {@code ref}'s repository (its {@code refs/} files). */
    static List<String> cachedBranches(HubConfig config, ModelRef ref) {
        Path refs = config.cacheDir().resolve(ref.cacheFolderName()).resolve("refs");
        if (!Files.isDirectory(refs)) return List.of();
        try (Stream<Path> files = Files.walk(refs)) {
            return files.filter(Files::isRegularFile).map(f -> refs.relativize(f).toString().replace('\\', '/'))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
