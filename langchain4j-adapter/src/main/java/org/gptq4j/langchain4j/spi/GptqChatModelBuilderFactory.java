package org.gptq4j.langchain4j.spi;

import java.util.function.Supplier;
import org.gptq4j.langchain4j.GptqChatModel;

/**
 * Supplies the builder {@link GptqChatModel#builder()} returns, as LangChain4j's provider modules do (e.g.
 * {@code OllamaChatModelBuilderFactory}): a framework registers an implementation in
 * {@code META-INF/services/org.gptq4j.langchain4j.spi.GptqChatModelBuilderFactory} to preset or extend every builder.
 * The first one LangChain4j's {@code ServiceHelper.loadFactories} finds is used; without one, a plain builder.
 */
public interface GptqChatModelBuilderFactory extends Supplier<GptqChatModel.GptqChatModelBuilder> {}
