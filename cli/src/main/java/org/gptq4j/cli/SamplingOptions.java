package org.gptq4j.cli;

import org.gptq4j.sampling.SamplingParameters;
import picocli.CommandLine.Option;

/**
 * The sampling options that {@code chat} and {@code generate} share; unset values mean the model card's defaults
 * ({@link SamplingParameters#modelCardDefaults()}).
 */
final class SamplingOptions {
    @Option(names = "--temperature", description = "0 = greedy. Default: the model card's " + SamplingParameters.MODEL_CARD_TEMPERATURE + ".")
    Double temperature;

    @Option(names = "--top-p", description = "Nucleus sampling mass (default " + SamplingParameters.MODEL_CARD_TOP_P + ").")
    Double topP;

    @Option(names = "--top-k", description = "Keep the k most likely tokens (default " + SamplingParameters.MODEL_CARD_TOP_K + "; 0 = all).")
    Integer topK;

    @Option(names = "--seed", description = "Random seed, for reproducible sampling (default: none).")
    Long seed;
}
