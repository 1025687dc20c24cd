package org.gptq4j.langchain4j;

import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.model.ModelFolder;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * The slice of the engine this adapter uses, in the engine's own types ({@link GenerationRequest},
 * {@link GenerationListener}, {@link GenerationHandle}). {@link EngineBackend} implements it over the real engine;
 * tests fake it.
 */
interface GenerationBackend {

    /** The tokenizer of the loaded model. */
    Tokenizer tokenizer();

    /** The model folder the engine read (for its chat template and name), or {@code null}. */
    ModelFolder model();

    /** The most tokens (prompt plus answer) one sequence may hold. */
    int contextLength();

    /** Starts generating, as {@link org.gptq4j.engine.Engine#submit} does. */
    GenerationHandle submit(GenerationRequest request, GenerationListener listener);
}
