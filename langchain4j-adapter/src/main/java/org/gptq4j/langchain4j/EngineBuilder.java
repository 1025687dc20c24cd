package org.gptq4j.langchain4j;

import java.nio.file.Path;
import org.gptq4j.engine.Engine;

/**
 * The builder options that say which engine a model runs on: a shared, already loaded {@link Engine}
 * ({@link #engine}), or a model folder the model loads itself ({@link #modelPath}, closed with the model).
 */
public abstract class EngineBuilder<C extends GptqBaseChatModel, B extends EngineBuilder<C, B>>
        extends GptqBaseChatModel.Builder<C, B> {
    protected Engine engine;
    protected Path modelPath;
    protected Integer threads;
    protected Integer kvCacheBlocks;

    /**
     * Runs on {@code engine}, which several model beans may share; the model never closes it. Set
     * {@link #modelPath} too so that the folder's chat template and name are found.
     */
    public B engine(Engine engine) {
        this.engine = engine;
        return self();
    }

    /**
     * The model folder (a Hugging Face download of a GPTQ Llama model). Without {@link #engine}, the model
     * loads its own engine from it, and {@code close()} closes that engine.
     */
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    /** Compute threads of an engine loaded from {@link #modelPath}. */
    public B threads(Integer threads) {
        this.threads = threads;
        return self();
    }

    /** KV-cache blocks of an engine loaded from {@link #modelPath}. */
    public B kvCacheBlocks(Integer kvCacheBlocks) {
        this.kvCacheBlocks = kvCacheBlocks;
        return self();
    }

    @Override
    GptqBaseChatModel.BackendSource backendSource() {
        if (backend != null) return super.backendSource();
        if (engine != null) return new GptqBaseChatModel.BackendSource(new EngineBackend(engine, modelPath), null);
        if (modelPath == null) {
            throw new IllegalStateException("set engine(Engine) or modelPath(Path) before build()");
        }
        Engine.Builder builder = Engine.builder().modelPath(modelPath);
        if (threads != null) builder.threads(threads);
        if (kvCacheBlocks != null) builder.kvCacheBlocks(kvCacheBlocks);
        Engine owned = builder.build();
        return new GptqBaseChatModel.BackendSource(new EngineBackend(owned, modelPath), owned);
    }
}
