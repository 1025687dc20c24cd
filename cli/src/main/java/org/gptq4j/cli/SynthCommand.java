package org.gptq4j.cli;

import org.gptq4j.tools.SyntheticCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code synth}: writes a random-weight GPTQ checkpoint of a Llama shape, in the Hub layout, for benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a random-weight GPTQ checkpoint (config.json, quantize_config.json, model.safetensors) of a Llama shape.")
final class SynthCommand implements Callable<Integer> {
    @Option(names = "--shape", required = true, description = "llama2-7b or tiny.")
    String shape;

    @Option(names = "--bits", defaultValue = "4", description = "GPTQ bits: 2, 3, 4 or 8 (default 4).")
    int bits;

    @Option(names = "--group", defaultValue = "128", description = "GPTQ group size, -1 for one group per row (default 128).")
    int group;

    @Option(names = "--act-order", description = "Scatter the groups over the input features, as desc_act does.")
    boolean actOrder;

    @Option(names = "--vocab", description = "Vocabulary size (default: 55296, firefly's, for llama2-7b; 512 for tiny).")
    Integer vocab;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default 1).")
    long seed;

    @Option(names = "--tokenizer", description = "tokenizer.model to copy in (default: the fixtures' tokenizer of the same vocabulary size, if found).")
    Path tokenizer;

    @Option(names = "--out", required = true, description = "Output folder (must not exist or be empty).")
    Path out;

    /** Fixture tokenizers by vocabulary size. */
    private static final Map<Integer, String> TOKENIZERS = Map.of(
            55296, "firefly-chinese-llama-alpaca-2", 32000, "llama2", 512, "stories-tok512");

    @Override
    public Integer call() {
        SyntheticCheckpoint.Shape s = SyntheticCheckpoint.Shape.named(shape, vocab);
        Path tok = tokenizer != null ? tokenizer : fixtureTokenizer(s.vocab());
        long t0 = System.nanoTime();
        SyntheticCheckpoint.write(out, s, new SyntheticCheckpoint.Quant(bits, group, actOrder), tok, seed);
        System.err.printf("wrote %s: %s, %d-bit, group %d%s, vocab %d, tokenizer %s (%.1f s)%n", out, s.name(), bits, group,
                actOrder ? ", act-order" : "", s.vocab(), tok != null ? tok : "none", (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static Path fixtureTokenizer(int vocab) {
        String name = TOKENIZERS.get(vocab);
        if (name == null) return null;
        String shared = System.getProperty("gptq4j.shared");
        for (Path root : new Path[]{shared != null ? Path.of(shared) : null, Path.of("..", "shared"), Path.of("shared")}) {
            if (root == null) continue;
            Path p = root.resolve("fixtures/tokenizers").resolve(name).resolve("tokenizer.model");
            if (Files.isRegularFile(p)) return p.toAbsolutePath().normalize();
        }
        return null;
    }
}
