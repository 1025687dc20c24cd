/**
 * gptq4j's engine: GPTQ Llama inference in the JVM (docs/architecture.md, "core packages, and the API/internal line").
 *
 * <p>Exported to everyone, the API: {@code engine} (the {@code Engine}, its requests, results, limits and metrics),
 * {@code sampling}, {@code tokenizer}, {@code hub} (the Hugging Face Hub client), {@code model} (the model folder and
 * its configuration records; {@code LlamaModel}, {@code ForwardBatch} and {@code RotaryEmbedding} there are internal)
 * and {@code kernel} for the options the engine builder takes ({@code KernelOptions}, {@code KernelBackend},
 * {@code KernelLevel}; its other types are internal). {@code io} and {@code kv} are exported only to this project's
 * modules that reach in (the developer tools, the command-line program, the benchmarks: class-path jars that name
 * themselves with {@code Automatic-Module-Name}); {@code scheduler} to none.
 *
 * <p>The Vector API is optional ({@code requires static}): only the Java and float kernels use it, and choosing them in
 * a JVM without {@code --add-modules jdk.incubator.vector} fails at {@code Engine.build()}, naming that flag. The
 * native kernels run without the JVM's native-access warning with {@code --enable-native-access=org.gptq4j.core}.
 */
@SuppressWarnings("module") // the qualified exports name modules this one is compiled without
module org.gptq4j.core {
    requires transitive com.fasterxml.jackson.databind; // the config records parse JsonNode trees
    requires java.net.http;
    requires static jdk.incubator.vector;

    exports org.gptq4j.engine;
    exports org.gptq4j.hub;
    exports org.gptq4j.kernel;
    exports org.gptq4j.model;
    exports org.gptq4j.sampling;
    exports org.gptq4j.tokenizer;

    exports org.gptq4j.io to org.gptq4j.tools, org.gptq4j.cli, org.gptq4j.benchmarks;
    exports org.gptq4j.kv to org.gptq4j.tools, org.gptq4j.cli;
}
