package org.gptq4j.langchain4j;

import java.nio.file.Path;
import org.gptq4j.engine.Engine;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.engine.GenerationResult;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * {@link GenerationBackend} over the real {@link Engine}. A request's {@link LogitsConstraint} (the grammar of JSON
 * output and tool calls) travels on the {@link GenerationRequest}, so the engine enforces it token by token.
 */
final class EngineBackend implements GenerationBackend {
    private final Engine engine;
    private final Path modelFolder;

    EngineBackend(Engine engine, Path modelFolder) {
        this.engine = engine;
        this.modelFolder = modelFolder;
    }

    @Override
    public Tokenizer tokenizer() {
        return engine.tokenizer();
    }

    @Override
    public Path modelFolder() {
        return modelFolder;
    }

    @Override
    public int contextLength() {
        int limit = engine.limits().maxTotalTokens();
        return limit > 0 ? limit : engine.modelConfig().maxPositionEmbeddings();
    }

    @Override
    public Generation submit(int[] promptTokenIds, SamplingParameters sampling, LogitsConstraint constraint,
                             Listener listener) {
        GenerationHandle handle = engine.submit(GenerationRequest.of(promptTokenIds, sampling).withConstraint(constraint), new GenerationListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                listener.onToken(tokenId, textDelta);
            }

            @Override
            public void onComplete(GenerationResult result) {
                listener.onComplete(new Outcome(result.finishReason(), result.promptTokenCount(),
                        result.generatedTokenCount()));
            }

            @Override
            public void onError(Throwable error) {
                listener.onError(error);
            }
        });
        return handle::cancel;
    }
}
