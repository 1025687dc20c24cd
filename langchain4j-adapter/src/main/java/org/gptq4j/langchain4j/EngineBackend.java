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
 * {@link GenerationBackend} over the real {@link Engine}.
 *
 * <p>The engine's {@link GenerationRequest} does not take a {@link LogitsConstraint} yet, so the grammar of
 * JSON output and tool calls is not enforced on this backend until it does (the change is one field on
 * {@code GenerationRequest} and three calls in the scheduler's sampling step); the adapter still parses and
 * validates what the model writes.
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
        GenerationHandle handle = engine.submit(GenerationRequest.of(promptTokenIds, sampling), new GenerationListener() {
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
