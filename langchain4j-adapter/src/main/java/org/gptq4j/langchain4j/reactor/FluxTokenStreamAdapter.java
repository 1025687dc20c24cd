package org.gptq4j.langchain4j.reactor;

import dev.langchain4j.service.TokenStream;
import dev.langchain4j.spi.services.TokenStreamAdapter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Flux;

/**
 * Lets AiServices methods return {@code Flux<String>}: registered through {@code META-INF/services}, found by
 * AiServices on the class path. Cancelling the subscription cancels the generation (through the
 * {@code StreamingHandle} of the next partial response).
 *
 * <p>Reactor is an optional dependency: AiServices asks every registered adapter about every parameterized return
 * type ({@code Result<String>}, {@code List<String>}), so {@link #canAdaptTokenStreamTo} compares type names and
 * never touches a Reactor class; only {@link #adapt}, called for a {@code Flux<String>} method, needs Reactor.
 */
public class FluxTokenStreamAdapter implements TokenStreamAdapter {
    private static final String FLUX = "reactor.core.publisher.Flux";

    @Override
    public boolean canAdaptTokenStreamTo(Type type) {
        return type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw
                && raw.getName().equals(FLUX)
                && p.getActualTypeArguments().length == 1 && p.getActualTypeArguments()[0] == String.class;
    }

    @Override
    public Object adapt(TokenStream tokenStream) {
        return Flux.<String>create(sink -> {
            AtomicBoolean cancelled = new AtomicBoolean();
            sink.onCancel(() -> cancelled.set(true));
            tokenStream
                    .onPartialResponseWithContext((partial, context) -> {
                        if (cancelled.get()) {
                            context.streamingHandle().cancel();
                            return;
                        }
                        sink.next(partial.text());
                    })
                    .onCompleteResponse(response -> sink.complete())
                    .onError(sink::error)
                    .start();
        });
    }
}
