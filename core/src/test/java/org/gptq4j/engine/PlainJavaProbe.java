package org.gptq4j.engine;

import org.gptq4j.sampling.SamplingParameters;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link PlainJavaCommandLineTest}, on a command line without {@code --add-modules}: builds an
 * {@link Engine} over the model folder {@code args[0]} (its kernels from the {@code -Dgptq4j.*} switches), generates one
 * token, and prints whether the Vector API module is in the JVM, the kernels chosen, and
 * {@code OUTCOME generated <n>}, {@code OUTCOME build failed <exception>} or {@code OUTCOME generation failed <exception>}.
 */
public final class PlainJavaProbe {
    private PlainJavaProbe() {}

    public static void main(String[] args) {
        System.out.println("vector module " + (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "present" : "absent"));
        Engine engine;
        try {
            engine = Engine.builder().modelPath(Path.of(args[0])).threads(1).kvCacheBlocks(16).build();
        } catch (Throwable t) {
            System.out.println("OUTCOME build failed " + t);
            return;
        }
        try (engine) {
            System.out.println("kernels " + engine.llama().kernels());
            SamplingParameters oneToken = SamplingParameters.greedy().toBuilder().maxNewTokens(1).build();
            GenerationResult result = engine.generate(new GenerationRequest(new int[] {1, 300, 301}, oneToken, true));
            System.out.println("OUTCOME generated " + result.generatedTokenCount());
        } catch (Throwable t) {
            System.out.println("OUTCOME generation failed " + t);
        }
    }
}
