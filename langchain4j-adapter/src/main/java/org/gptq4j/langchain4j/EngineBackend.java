package org.gptq4j.langchain4j;

import org.gptq4j.engine.Engine;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.model.ModelFolder;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * {@link GenerationBackend} over the real {@link Engine}. A request's {@link org.gptq4j.sampling.LogitsConstraint}
 * (the grammar of JSON output and tool calls) travels on the {@link GenerationRequest}, so the engine enforces it
 * token by token.
 */
final class EngineBackend implements GenerationBackend {
    private final Engine engine;
    private final ModelFolder model;

    /** Over {@code engine}, with the template and name of the folder the engine read. */
    EngineBackend(Engine engine) {
        this(engine, engine.model());
    }

    /** Over {@code engine}, with the template and name of {@code model} (the deprecated builder's own folder). */
    EngineBackend(Engine engine, ModelFolder model) {
        this.engine = engine;
        this.model = model;
    }

    @Override
    public Tokenizer tokenizer() {
        return engine.tokenizer();
    }

    @Override
    public ModelFolder model() {
        return model;
    }

    @Override
    public int contextLength() {
        int limit = engine.limits().maxTotalTokens();
        return limit > 0 ? limit : engine.modelConfig().maxPositionEmbeddings();
    }

    @Override
    public GenerationHandle submit(GenerationRequest request, GenerationListener listener) {
        return engine.submit(request, listener);
    }
}
