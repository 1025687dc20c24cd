package org.gptq4j.modulepath;

import org.gptq4j.engine.Engine;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.sampling.SamplingParameters;

import java.nio.file.Path;

/**
 * Run by {@link ModulePathTest} in a JVM with core on the module path and this class on the class path, through the
 * API alone: prints the module {@code Engine} is in, then generates one token over the model folder {@code args[0]}
 * on the default kernels ({@code native generated <n>}) and on the float ones ({@code float generated <n>}, or
 * {@code float build failed <message>}).
 */
public final class ModulePathProbe {
    private ModulePathProbe() {}

    public static void main(String[] args) {
        Path model = Path.of(args[0]);
        System.out.println("engine in " + Engine.class.getModule());
        System.out.println("native generated " + oneToken(Engine.builder().modelPath(model)));
        try {
            System.out.println("float generated " + oneToken(Engine.builder().modelPath(model).kernelBackend(KernelBackend.FLOAT)));
        } catch (IllegalStateException e) {
            System.out.println("float build failed " + e.getMessage());
        }
    }

    private static int oneToken(Engine.Builder builder) {
        try (Engine engine = builder.threads(1).kvCacheBlocks(16).build()) {
            SamplingParameters oneToken = SamplingParameters.greedy().toBuilder().maxNewTokens(1).build();
            return engine.generate(new GenerationRequest(new int[] {1, 300, 301}, oneToken, true)).generatedTokenCount();
        }
    }
}
