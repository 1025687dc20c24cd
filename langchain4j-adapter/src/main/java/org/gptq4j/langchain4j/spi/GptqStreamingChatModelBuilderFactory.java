package org.gptq4j.langchain4j.spi;

import java.util.function.Supplier;
import org.gptq4j.langchain4j.GptqStreamingChatModel;

/**
 * Supplies the builder {@link GptqStreamingChatModel#builder()} returns, as LangChain4j's provider modules do (e.g.
 * {@code OllamaStreamingChatModelBuilderFactory}): registered in
 * {@code META-INF/services/org.gptq4j.langchain4j.spi.GptqStreamingChatModelBuilderFactory}; the first one found is
 * used; without one, a plain builder.
 */
public interface GptqStreamingChatModelBuilderFactory
        extends Supplier<GptqStreamingChatModel.GptqStreamingChatModelBuilder> {}
