package org.gptq4j.langchain4j;

/**
 * The builder options that say which engine a model runs on. Until the engine façade lands on main, only
 * the package-private backend can be set; {@code engine(Engine)} and {@code modelPath(Path)} arrive with it.
 */
public abstract class EngineBuilder<C extends GptqBaseChatModel, B extends EngineBuilder<C, B>>
        extends GptqBaseChatModel.Builder<C, B> {
}
