package org.gptq4j.samples.cli;

import picocli.CommandLine.Option;

/**
 * The sampling options that {@code chat} and {@code generate} share; unset values mean the model card's defaults
 * (temperature 0.7, top-p 0.95, top-k 40).
 */
final class SamplingOptions {
    @Option(names = "--temperature", description = "0 = greedy. Default: the model card's 0.7.")
    Double temperature;

    @Option(names = "--top-p", description = "Nucleus sampling mass (default 0.95).")
    Double topP;

    @Option(names = "--top-k", description = "Keep the k most likely tokens (default 40; 0 = all).")
    Integer topK;

    @Option(names = "--seed", description = "Random seed, for reproducible sampling (default: none).")
    Long seed;
}
