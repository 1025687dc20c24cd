package org.gptq4j.spring.actuate;

import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.gptq4j.engine.Engine;
import org.gptq4j.spring.GptqModelLoader;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Where health and metrics find the engine without ever loading it: the starter's {@link GptqModelLoader} (the
 * engine once loaded, and why loading failed), or an engine the application defined itself.
 *
 * @param engine      the engine if loaded
 * @param failure     why the last load failed, if it did
 * @param loading     whether the model is being resolved, downloaded or loaded right now
 * @param description the model, for tags and details
 */
public record EngineSource(Supplier<Optional<Engine>> engine, Supplier<Optional<RuntimeException>> failure,
                           BooleanSupplier loading, String description) {

    /** The loader's engine, once it is loaded. */
    public static EngineSource of(GptqModelLoader loader) {
        return new EngineSource(loader::loadedEngine, loader::lastFailure, loader::isLoading, loader.modelDescription());
    }

    /** The starter's loader when there is one, else the application's own engine bean. */
    public static EngineSource from(ObjectProvider<GptqModelLoader> loader, ObjectProvider<Engine> engine) {
        GptqModelLoader ours = loader.getIfAvailable();
        return ours != null ? of(ours) : of(engine.getObject());
    }

    /** An engine the application built and loaded itself. */
    public static EngineSource of(Engine engine) {
        return new EngineSource(() -> Optional.of(engine), Optional::empty, () -> false, "application-defined");
    }
}
