package org.gptq4j.langchain4j;

import java.nio.file.Path;
import org.gptq4j.engine.Engine;
import org.gptq4j.model.ModelFolder;

/**
 * The builder option that says which engine a model runs on: a shared, already loaded {@link Engine}
 * ({@link #engine}); the chat template and model name come from the folder the engine read
 * ({@link Engine#model()}). The model folder options ({@link #modelPath}, {@link #threads}, {@link #kvCacheBlocks})
 * are deprecated: build the engine with {@link Engine#builder()} instead.
 */
public abstract class EngineBuilder<C extends GptqBaseChatModel, B extends EngineBuilder<C, B>>
        extends GptqBaseChatModel.Builder<C, B> {
    protected Engine engine;
    protected Path modelPath;
    protected Integer threads;
    protected Integer kvCacheBlocks;

    /** Runs on {@code engine}, which several model beans may share; the model never closes it. */
    public B engine(Engine engine) {
        this.engine = engine;
        return self();
    }

    /**
     * The model folder. Without {@link #engine}, the model loads its own engine from it, and {@code close()} closes
     * that engine; with one, its chat template and name are used in place of the engine's folder.
     *
     * @deprecated build an {@link Engine} and pass it to {@link #engine}: the engine knows its folder
     */
    @Deprecated
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    /**
     * Compute threads of an engine loaded from {@link #modelPath}.
     *
     * @deprecated set them on {@link Engine#builder()}
     */
    @Deprecated
    public B threads(Integer threads) {
        this.threads = threads;
        return self();
    }

    /**
     * KV-cache blocks of an engine loaded from {@link #modelPath}.
     *
     * @deprecated set them on {@link Engine#builder()}
     */
    @Deprecated
    public B kvCacheBlocks(Integer kvCacheBlocks) {
        this.kvCacheBlocks = kvCacheBlocks;
        return self();
    }

    @Override
    GptqBaseChatModel.BackendSource backendSource() {
        if (backend != null) return super.backendSource();
        if (engine != null) {
            boolean ownFolder = modelPath == null || modelPath.equals(engine.model().path());
            return new GptqBaseChatModel.BackendSource(ownFolder ? new EngineBackend(engine)
                    : new EngineBackend(engine, ModelFolder.read(modelPath)), null);
        }
        if (modelPath == null) {
            throw new IllegalStateException("set engine(Engine) before build()");
        }
        Engine.Builder builder = Engine.builder().modelPath(modelPath);
        if (threads != null) builder.threads(threads);
        if (kvCacheBlocks != null) builder.kvCacheBlocks(kvCacheBlocks);
        Engine owned = builder.build();
        return new GptqBaseChatModel.BackendSource(new EngineBackend(owned), owned);
    }
}
