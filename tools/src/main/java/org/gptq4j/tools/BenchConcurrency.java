package org.gptq4j.tools;

import org.gptq4j.engine.Engine;
import org.gptq4j.engine.EngineLimits;
import org.gptq4j.engine.GenerationHandle;
import org.gptq4j.engine.GenerationListener;
import org.gptq4j.engine.GenerationRequest;
import org.gptq4j.engine.GenerationResult;

import org.gptq4j.kernel.KernelOptions;
import org.gptq4j.sampling.SamplingParameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Aggregate decode throughput with 1, 2, 4, ... concurrent sequences: for each count {@code n}, submits {@code n}
 * requests with distinct random prompts at once, waits until every one has its first token (prefill done), and
 * counts the tokens generated from then until all end, per second. Not a test: a measurement for the
 * {@code bench --concurrency} command and {@code docs/serving.md}.
 *
 * <p>Standalone: {@code java ... org.gptq4j.tools.BenchConcurrency MODEL_DIR [1,2,4,8,16] [threads] [newTokens]}.
 */
public final class BenchConcurrency {
    /** Each count is measured this many times and the best kept (other load on the machine only slows a run down). */
    static final int REPEATS = 3;

    private BenchConcurrency() {}

    /** One measurement: {@code sequences} decoding together produced {@code aggregateDecodeTps} tokens per second. */
    public record Point(int sequences, double aggregateDecodeTps) {}

    /**
     * Builds an engine sized for the largest count (every sequence fits in the KV cache, so nothing is preempted;
     * prefix caching off), warms every count up, keeps the best of {@link #REPEATS} runs of each, and closes it.
     */
    public static List<Point> run(Path model, KernelOptions options, int[] concurrency, int promptLength, int newTokens) {
        return run(model, options, concurrency, promptLength, newTokens, REPEATS);
    }

    /** As {@link #run(Path, KernelOptions, int[], int, int)}, keeping the best of {@code repeats} runs of each count. */
    public static List<Point> run(Path model, KernelOptions options, int[] concurrency, int promptLength, int newTokens, int repeats) {
        if (repeats < 1) throw new IllegalArgumentException("repeats must be >= 1, but was " + repeats);
        int max = Arrays.stream(concurrency).max().orElseThrow();
        int blockSize = 16;
        int blocksPerSequence = (promptLength + newTokens + blockSize - 1) / blockSize;
        try (Engine engine = Engine.builder().modelPath(model).kernelOptions(options).prefixCaching(false)
                .blockSize(blockSize).kvCacheBlocks(blocksPerSequence * max)
                .limits(EngineLimits.builder().maxConcurrentSequences(max).maxQueuedRequests(max)
                        .maxBatchPrefillTokens(Math.max(1, promptLength * max)).build())
                .build()) {
            for (int n : concurrency) measure(engine, n, promptLength, Math.min(newTokens, 16), -n); // warm-up (JIT)
            List<Point> points = new ArrayList<>();
            for (int n : concurrency) {
                double best = 0;
                for (int repeat = 0; repeat < repeats; repeat++) best = Math.max(best, measure(engine, n, promptLength, newTokens, n * 100L + repeat));
                points.add(new Point(n, best));
            }
            return points;
        }
    }

    /** Aggregate decode tokens per second of {@code n} sequences of {@code newTokens} each, on an idle engine. */
    public static double measure(Engine engine, int n, int promptLength, int newTokens, long seed) {
        if (newTokens < 2) throw new IllegalArgumentException("newTokens must be >= 2 to measure decoding, but was " + newTokens);
        SplittableRandom random = new SplittableRandom(seed);
        int vocab = engine.modelConfig().vocabSize();
        long[][] arrivals = new long[n][newTokens];
        List<GenerationHandle> handles = new ArrayList<>();
        SamplingParameters greedy = SamplingParameters.greedy().toBuilder().maxNewTokens(newTokens).build();
        for (int i = 0; i < n; i++) {
            int[] prompt = new int[promptLength];
            prompt[0] = engine.modelConfig().bosTokenId();
            for (int p = 1; p < promptLength; p++) prompt[p] = 3 + random.nextInt(vocab - 3);
            long[] times = arrivals[i];
            handles.add(engine.submit(new GenerationRequest(prompt, greedy, true), new GenerationListener() {
                int count;

                @Override
                public void onToken(int tokenId, String textDelta) {
                    times[count++] = System.nanoTime();
                }
            }));
        }
        for (GenerationHandle h : handles) {
            try {
                h.result().get(1, TimeUnit.HOURS);
            } catch (Exception e) {
                throw new IllegalStateException("benchmark request failed", e);
            }
        }
        long start = 0, end = 0;
        for (long[] t : arrivals) {
            start = Math.max(start, t[0]);
            end = Math.max(end, t[newTokens - 1]);
        }
        long tokens = 0;
        for (long[] t : arrivals) for (long time : t) if (time > start) tokens++;
        return end > start ? tokens * 1e9 / (end - start) : 0;
    }

    /** {@code [{"sequences": n, "aggregate_decode_tps": x}, ...]}, the {@code concurrency} entry of bench's JSON. */
    public static String toJson(List<Point> points) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < points.size(); i++) {
            if (i > 0) out.append(", ");
            out.append(String.format(Locale.ROOT, "{\"sequences\": %d, \"aggregate_decode_tps\": %.2f}",
                    points.get(i).sequences(), points.get(i).aggregateDecodeTps()));
        }
        return out.append(']').toString();
    }

    /** The same as {@link #toJson}, as maps for a Jackson-written report: {@code sequences}, {@code aggregate_decode_tps}. */
    public static List<Map<String, Object>> toMaps(List<Point> points) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Point p : points) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sequences", p.sequences());
            m.put("aggregate_decode_tps", Math.round(p.aggregateDecodeTps() * 100) / 100.0);
            out.add(m);
        }
        return out;
    }

    /** A text table with each count's throughput and its ratio to one sequence (to the first count where 1 was not measured). */
    public static String toTable(List<Point> points) {
        Point base = points.stream().filter(p -> p.sequences() == 1).findFirst().orElse(points.isEmpty() ? null : points.getFirst());
        double baseTps = base == null ? 0 : base.aggregateDecodeTps();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%9s  %20s  %11s%n", "sequences", "aggregate decode t/s",
                "ratio to " + (base == null ? 1 : base.sequences())));
        for (Point p : points) {
            out.append(String.format(Locale.ROOT, "%9d  %20.2f  %10.2fx%n", p.sequences(), p.aggregateDecodeTps(),
                    baseTps > 0 ? p.aggregateDecodeTps() / baseTps : 0));
        }
        return out.toString();
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: BenchConcurrency MODEL_DIR [1,2,4,8,16] [threads] [newTokens] [promptLength]");
            System.exit(2);
        }
        int[] counts = Arrays.stream((args.length > 1 ? args[1] : "1,2,4,8,16").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int promptLength = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        List<Point> points = run(Path.of(args[0]), KernelOptions.fromSystemProperties().toBuilder().threads(threads).build(),
                counts, promptLength, newTokens);
        System.out.print(toTable(points));
        System.out.println("{\"concurrency\": " + toJson(points) + "}");
    }
}
