package org.gptq4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.gptq4j.tools.BenchConcurrency;
import org.gptq4j.kernel.ComputePool;
import org.gptq4j.kernel.KernelBackend;
import org.gptq4j.kernel.KernelLevel;
import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.tools.MemoryBandwidth;
import org.gptq4j.kernel.NativeKernels;
import org.gptq4j.kv.BlockTable;
import org.gptq4j.kv.KvCacheManager;
import org.gptq4j.kv.KvLayout;
import org.gptq4j.kv.KvPrecision;
import org.gptq4j.kv.PagedKvCache;
import org.gptq4j.model.ForwardBatch;
import org.gptq4j.model.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code bench}: llama-bench style throughput of one model: prefill tokens/s of a prompt in one pass (pp), decode
 * tokens/s of greedy generation from an empty context (tg), load time and peak RSS, plus the memory bandwidth measured
 * on this machine and decode as a percentage of its roofline. Each measurement is a method that adds keys to one
 * result map, so new ones (e.g. a concurrency sweep under {@code "concurrency"}) slot in without touching the rest.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark prefill and decode throughput of a model (llama-bench style).")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model folder.")
    Path model;

    @Option(names = "--prompt-tokens", defaultValue = "512", description = "Prompt tokens prefilled in one pass (default 512; 0 skips).")
    int promptTokens;

    @Option(names = "--gen-tokens", defaultValue = "128", description = "Tokens decoded one at a time from an empty context (default 128; 0 skips).")
    int genTokens;

    @Option(names = "--threads", description = "Compute threads (default: one per physical core; at most 4 per available processor, and 16 on any machine).")
    Integer threads;

    @Option(names = "--repetitions", defaultValue = "1", description = "Runs of each test; the best is reported (default 1).")
    int repetitions;

    @Option(names = "--bandwidth-mib", defaultValue = "1024", description = "Buffer read by the bandwidth probe, MiB (default 1024; 0 skips).")
    int bandwidthMib;

    @Option(names = "--concurrency", split = ",", paramLabel = "N[,N...]",
            description = "Also measure aggregate decode tokens/s with these numbers of concurrent sequences through the "
                    + "Engine's continuous batching (e.g. 1,2,4,8,16): each sequence a distinct random 16-token prompt, "
                    + "then --gen-tokens greedy tokens; best of --repetitions after a warm-up.")
    int[] concurrency;

    @Option(names = "--kernel-level", paramLabel = "avx2|avx-vnni|avx512|amx|neon|neon-dotprod|neon-i8mm",
            description = "Run the native kernels at this instruction-set level (one this CPU has), to measure the lower "
                    + "levels on a newer CPU; default: the highest it has (or -Dgptq4j.native.level's cap).")
    String kernelLevel;

    @Option(names = "--depth", defaultValue = "0", paramLabel = "N",
            description = "Context already in the KV cache before each pp and tg test, as llama-bench's -d: N tokens "
                    + "prefilled (untimed, in passes of 512) first, so that attention reads N more positions (default 0).")
    int depth;

    @Option(names = "--kv-precision", paramLabel = "f32|f16",
            description = "Precision of the KV cache (default: the kernels' own, f16 for the native ones and f32 otherwise).")
    String kvPrecision;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Prompt length of each sequence of the concurrency sweep. */
    static final int CONCURRENCY_PROMPT_TOKENS = 16;

    private final Map<String, Object> result = new LinkedHashMap<>();
    private List<BenchConcurrency.Point> points;
    private KvCacheManager blocks; // of the cache being measured: one sequence at a time

    @Override
    public Integer call() throws IOException {
        KernelOptions options = KernelOptions.fromSystemProperties();
        if (threads != null) options = options.toBuilder().threads(threads).build();
        if (concurrency != null) {
            for (int c : concurrency) {
                if (c < 1) throw new ParameterException(spec.commandLine(), "--concurrency: every count must be >= 1, but got " + c);
            }
            if (genTokens < 2) throw new ParameterException(spec.commandLine(), "--concurrency needs --gen-tokens >= 2, but it is " + genTokens);
        }
        if (kernelLevel != null) options = options.toBuilder().nativeLevel(kernelLevel(options.backend())).build();
        if (depth < 0) throw new ParameterException(spec.commandLine(), "--depth must be >= 0, but is " + depth);
        if (kvPrecision != null && !List.of("f32", "f16").contains(kvPrecision.toLowerCase(Locale.ROOT))) {
            throw new ParameterException(spec.commandLine(), "--kv-precision: f32 or f16, not " + kvPrecision);
        }
        measure(options);
        print();
        return 0;
    }

    private void measure(KernelOptions options) throws IOException {
        int n = options.threads();
        long t0 = System.nanoTime();
        try (LlamaModel llama = LlamaModel.load(model, options);
             ComputePool pool = new ComputePool(n)) {
            KernelBackend backend = llama.kernels().backend();
            double loadS = (System.nanoTime() - t0) / 1e9;
            result.put("model", model.toString());
            result.put("backend", backend.name().toLowerCase());
            result.put("kernels", llama.kernels().description());
            result.put("kernel_level", llama.kernels().level().map(KernelLevel::id).orElse(null));
            result.put("cpu", cpuModel());
            result.put("threads", n);
            result.put("n_layers", llama.config().numLayers());
            result.put("hidden", llama.config().hiddenSize());
            result.put("vocab", llama.config().vocabSize());
            llama.gptq().ifPresent(q -> result.put("gptq", Map.of("bits", q.bits(), "group_size", q.groupSize())));
            result.put("weight_bytes_per_token", llama.weightBytesPerPass());
            result.put("load_s", round(loadS, 3));
            result.put("prompt_tokens", promptTokens);
            result.put("gen_tokens", genTokens);
            result.put("depth", depth);

            int positions = depth + Math.max(Math.max(promptTokens, genTokens), 32) + 16; // warm-up needs 18
            KvLayout layout = llama.kvLayout(16, (positions + 15) / 16);
            if (kvPrecision != null) {
                layout = new KvLayout(layout.layers(), layout.kvHeads(), layout.headDim(), layout.blockSize(), layout.blocks(),
                        KvPrecision.valueOf(kvPrecision.toUpperCase(Locale.ROOT)));
            }
            try (PagedKvCache cache = new PagedKvCache(layout)) {
                result.put("kv_precision", layout.precision().name().toLowerCase(Locale.ROOT));
                result.put("kv_cache_bytes", cache.keys().byteSize() + cache.values().byteSize());
                blocks = new KvCacheManager(cache.layout(), false);
                warmUp(llama, cache, pool);
                if (promptTokens > 0) prefill(llama, cache, pool);
                if (genTokens > 0) decode(llama, cache, pool);
            }
            result.put("peak_rss_bytes", peakRss());
            if (bandwidthMib > 0) bandwidth(llama, pool);
        }
        result.put("concurrency", List.of());
        if (concurrency != null) { // after the model above is closed: the Engine loads its own
            List<BenchConcurrency.Point> points = BenchConcurrency.run(model, options, concurrency, CONCURRENCY_PROMPT_TOKENS, genTokens,
                    Math.max(1, repetitions));
            result.put("concurrency_prompt_tokens", CONCURRENCY_PROMPT_TOKENS);
            result.put("concurrency", BenchConcurrency.toMaps(points));
            this.points = points;
        }
    }

    /** The level --kernel-level names, which the model and the concurrency sweep's Engine run at, or why it cannot be. */
    private KernelLevel kernelLevel(KernelBackend backend) {
        KernelLevel level;
        try {
            level = KernelLevel.of(kernelLevel);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--kernel-level: " + e.getMessage());
        }
        if (backend != KernelBackend.NATIVE) {
            throw new ParameterException(spec.commandLine(), "--kernel-level needs the native kernels, but the backend is "
                    + backend.name().toLowerCase(Locale.ROOT) + " (" + NativeKernels.status() + ")");
        }
        try {
            return NativeKernels.requireLevel(level);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--kernel-level " + level.id() + ": " + e.getMessage());
        }
    }

    /** A short prefill and two decode steps, discarded: JIT-compiles the Java side and faults the weights in. */
    private void warmUp(LlamaModel llama, PagedKvCache cache, ComputePool pool) {
        BlockTable table = new BlockTable();
        int[] prompt = tokens(llama, 16, 7);
        blocks.reserve(table, prompt.length + 2);
        float[] logits = llama.forward(ForwardBatch.prefill(prompt, 0, table, false), cache, pool);
        for (int i = 0; i < 2; i++) {
            logits = llama.forward(ForwardBatch.prefill(new int[]{argmax(logits)}, prompt.length + i, table, false), cache, pool);
        }
        blocks.free(table);
    }

    /**
     * A new sequence with {@link #depth} tokens of context already in the cache (prefilled untimed, 512 per pass) and
     * room for {@code more} positions after them.
     */
    private BlockTable context(LlamaModel llama, PagedKvCache cache, ComputePool pool, int more, int seed) {
        BlockTable table = new BlockTable();
        blocks.reserve(table, depth + more);
        int[] context = tokens(llama, depth, seed);
        for (int p = 0; p < depth; p += 512) {
            int[] pass = Arrays.copyOfRange(context, p, Math.min(depth, p + 512));
            llama.forward(ForwardBatch.prefill(pass, p, table, false), cache, pool);
        }
        return table;
    }

    /** pp: the whole prompt in one forward pass (logits of the last position only), after --depth tokens, best of the repetitions. */
    private void prefill(LlamaModel llama, PagedKvCache cache, ComputePool pool) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < repetitions; rep++) {
            BlockTable table = context(llama, cache, pool, promptTokens, 5 + rep);
            int[] prompt = tokens(llama, promptTokens, 11 + rep);
            long t = System.nanoTime();
            llama.forward(ForwardBatch.prefill(prompt, depth, table, false), cache, pool);
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
            blocks.free(table);
        }
        result.put("prefill_s", round(best, 3));
        result.put("prefill_tps", round(promptTokens / best, 3));
    }

    /** tg: greedy decoding of gen-tokens tokens after --depth tokens of context, one forward pass per token (as llama-bench's tg). */
    private void decode(LlamaModel llama, PagedKvCache cache, ComputePool pool) {
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < repetitions; rep++) {
            BlockTable table = context(llama, cache, pool, genTokens, 5 + rep);
            int token = 1;
            long t = System.nanoTime();
            for (int p = depth; p < depth + genTokens; p++) {
                float[] logits = llama.forward(ForwardBatch.prefill(new int[]{token}, p, table, false), cache, pool);
                token = argmax(logits);
            }
            best = Math.min(best, (System.nanoTime() - t) / 1e9);
            blocks.free(table);
        }
        result.put("decode_s", round(best, 3));
        result.put("decode_tps", round(genTokens / best, 3));
    }

    /** Memory read bandwidth of the pool's threads, and decode against the roofline it sets (weights read once per token). */
    private void bandwidth(LlamaModel llama, ComputePool pool) {
        double bw = MemoryBandwidth.measure(pool, (long) bandwidthMib << 20, 5);
        result.put("bandwidth_gbs", round(bw / 1e9, 2));
        double roofline = bw / llama.weightBytesPerPass();
        result.put("decode_roofline_tps", round(roofline, 3));
        if (result.get("decode_tps") instanceof Double tps) result.put("decode_roofline_pct", round(100 * tps / roofline, 1));
    }

    /** VmHWM of /proc/self/status: the peak resident set of this process, in bytes (-1 where unavailable). */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** The CPU's name: the first "model name" of /proc/cpuinfo (null where there is none, e.g. not Linux). */
    static String cpuModel() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void print() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"model", "backend", "threads", "test", "t/s"});
        String name = model.getFileName().toString();
        out.printf("cpu %s; %s%n", result.get("cpu"), result.get("kernels"));
        String at = depth > 0 ? " @ d" + depth : "";
        if (result.containsKey("prefill_tps")) rows.add(new String[]{name, "" + result.get("backend"), "" + result.get("threads"), "pp" + promptTokens + at, "" + result.get("prefill_tps")});
        if (result.containsKey("decode_tps")) rows.add(new String[]{name, "" + result.get("backend"), "" + result.get("threads"), "tg" + genTokens + at, "" + result.get("decode_tps")});
        for (String[] r : rows) out.printf("| %-28s | %-7s | %7s | %12s | %10s |%n", (Object[]) r);
        out.printf("load %.3f s, peak RSS %.2f GiB, weights %.2f GB/token%n", (Double) result.get("load_s"),
                (Long) result.get("peak_rss_bytes") / (double) (1L << 30), (Long) result.get("weight_bytes_per_token") / 1e9);
        if (result.containsKey("bandwidth_gbs")) {
            out.printf("memory bandwidth %.1f GB/s: decode roofline %.2f t/s%s%n", (Double) result.get("bandwidth_gbs"),
                    (Double) result.get("decode_roofline_tps"),
                    result.containsKey("decode_roofline_pct") ? String.format(", decode at %.1f%% of it", (Double) result.get("decode_roofline_pct")) : "");
        }
        if (points != null) {
            out.printf("concurrent sequences (prompt %d tokens, %d new tokens each), aggregate decode:%n", CONCURRENCY_PROMPT_TOKENS, genTokens);
            out.print(BenchConcurrency.toTable(points));
        }
        out.flush();
    }

    private static int[] tokens(LlamaModel llama, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = 3 + r.nextInt(llama.config().vocabSize() - 3);
        return t;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
