package org.gptq4j.cli;

import org.gptq4j.io.SafetensorsWriter;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code logits}: the model's logits for a token sequence, written as a safetensors file. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the logits after each token of --ids to a safetensors file (tensor 'logits', F32 [positions, vocab]).")
final class LogitsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelLocation location;

    @Option(names = "--ids", required = true, converter = IdList.Converter.class, description = "Token ids, e.g. 1,2,3.")
    IdList idList;

    @Option(names = "--positions", converter = IdList.Converter.class, description = "Positions to keep (default: all).")
    IdList positions;

    @Option(names = "--mode", defaultValue = "prefill", description = "prefill (one pass) or decode (token by token through the KV cache).")
    Mode mode;

    @Option(names = "--out", required = true, description = "Output .safetensors file.")
    Path out;

    @Option(names = "--kernel", defaultValue = "float", description = "Kernels: float (exact float32 activations, "
            + "the reference path; default), native or java (int8 activations, faster), auto.")
    String kernel;

    @Option(names = "--threads", description = "Compute threads (default: one per physical core; at most 4 per available processor, and 16 on any machine).")
    Integer threads;

    enum Mode { prefill, decode }

    /** The kernel backend an option names ({@code auto}: the fastest available, or {@code -Dgptq4j.kernel}). */
    static KernelBackend backend(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> KernelOptions.fromSystemProperties().backend();
            case "float" -> KernelBackend.FLOAT;
            case "java" -> KernelBackend.JAVA;
            case "native" -> KernelBackend.NATIVE.orFallback();
            default -> throw new IllegalArgumentException("--kernel " + name + " is not one of float, native, java, auto");
        };
    }

    @Override
    public Integer call() {
        int[] ids = idList.values();
        if (ids.length == 0) throw new IllegalArgumentException("--ids is empty");
        int[] keep = positions != null ? positions.values() : java.util.stream.IntStream.range(0, ids.length).toArray();
        for (int p : keep) {
            if (p < 0 || p >= ids.length) throw new IllegalArgumentException("position " + p + " is outside [0, " + ids.length + ")");
        }
        if (!location.isSet()) throw new IllegalArgumentException("logits needs --model");
        KernelOptions.Builder options = KernelOptions.fromSystemProperties().toBuilder().backend(backend(kernel));
        if (threads != null) options.threads(threads);
        KernelOptions chosen = options.build();
        try (LlamaModel llama = LlamaModel.load(location.resolve(Gptq4jCli.progressStream(spec)), chosen);
             ComputePool pool = new ComputePool(chosen.threads());
             PagedKvCache cache = llama.newKvCache(16, (ids.length + 15) / 16)) {
            KvCacheManager blocks = new KvCacheManager(cache.layout(), false);
            int vocab = llama.config().vocabSize();
            BlockTable table = new BlockTable();
            blocks.reserve(table, ids.length);
            float[] all = new float[ids.length * vocab];
            if (mode == Mode.prefill) {
                all = llama.forward(ForwardBatch.prefill(ids, 0, table, true), cache, pool);
            } else {
                for (int p = 0; p < ids.length; p++) {
                    float[] row = llama.forward(ForwardBatch.prefill(new int[]{ids[p]}, p, table, true), cache, pool);
                    System.arraycopy(row, 0, all, p * vocab, vocab);
                }
            }
            float[] kept = new float[keep.length * vocab];
            for (int i = 0; i < keep.length; i++) System.arraycopy(all, keep[i] * vocab, kept, i * vocab, vocab);
            new SafetensorsWriter().metadata("format", "pt")
                    .addF32("logits", new long[]{keep.length, vocab}, kept)
                    .write(out);
            spec.commandLine().getErr().println("wrote logits [" + keep.length + ", " + vocab + "] to " + out + " (" + mode + ", positions "
                    + Arrays.toString(keep.length > 8 ? Arrays.copyOf(keep, 8) : keep) + (keep.length > 8 ? "..." : "") + ")");
        }
        return 0;
    }
}
