package org.gptq4j.sampling;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How the next token is chosen from the model's logits, with the meaning Hugging Face transformers'
 * {@code generate} gives these names (plus OpenAI's frequency and presence penalties).
 *
 * <p>Build with {@link #builder()}, start from {@link #greedy()} or {@link #modelCardDefaults()}, and
 * override with {@link #toBuilder()}. Every value is checked when the record is constructed, so an
 * instance is always valid; an out-of-range value gives an {@link IllegalArgumentException} that names
 * the parameter and its allowed range.
 *
 * @param temperature       divides the logits before softmax; {@code >= 0}, and {@code 0} means greedy
 *                          (argmax, the lowest id on ties), in which case top-k, top-p, min-p and the seed
 *                          are not used
 * @param topK              keep only the {@code topK} most likely tokens (and any tied with the last);
 *                          {@code >= 0}, {@code 0} disables it
 * @param topP              nucleus sampling: keep the smallest set of most likely tokens whose cumulative
 *                          probability reaches {@code topP}; {@code 0 < topP <= 1}, {@code 1} disables it
 * @param minP              drop tokens whose probability is below {@code minP} times the top token's;
 *                          {@code 0 <= minP <= 1}, {@code 0} disables it
 * @param repetitionPenalty transformers' (CTRL) penalty over every token of the prompt and the generated
 *                          text; {@code > 0}, {@code 1} disables it, {@code > 1} discourages repeats
 * @param frequencyPenalty  OpenAI's penalty, subtracted once per earlier occurrence in the generated text;
 *                          {@code -2..2}, {@code 0} disables it
 * @param presencePenalty   OpenAI's penalty, subtracted once from every token already generated;
 *                          {@code -2..2}, {@code 0} disables it
 * @param seed              seeds the sampler's random generator so that a run is reproducible;
 *                          {@code null} for a random seed
 * @param maxNewTokens      the most tokens to generate; {@code >= 1}
 * @param stopSequences     texts that end the generation when they appear (and are not emitted);
 *                          never null, no empty or null element, at most {@link #MAX_STOP_SEQUENCES} of at
 *                          most {@link #MAX_STOP_SEQUENCE_LENGTH} characters each (they are matched against
 *                          every generated token on the engine thread, so their size bounds the work every
 *                          request adds for all the others); an immutable copy
 * @param stopTokenIds      token ids that end the generation, such as EOS; never null, ids {@code >= 0};
 *                          an immutable copy
 */
public record SamplingParameters(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double frequencyPenalty,
        double presencePenalty,
        Long seed,
        int maxNewTokens,
        List<String> stopSequences,
        Set<Integer> stopTokenIds) {

    /** The most stop sequences one request may have (OpenAI allows 4; Hugging Face TGI's default is 4 too). */
    public static final int MAX_STOP_SEQUENCES = 16;

    /** The most characters one stop sequence may have. */
    public static final int MAX_STOP_SEQUENCE_LENGTH = 256;

    /** Validates every parameter and copies the collections (null collections become empty). */
    public SamplingParameters {
        require(Double.isFinite(temperature) && temperature >= 0,
                "temperature", ">= 0 and finite (0 means greedy)", temperature);
        require(topK >= 0, "topK", ">= 0 (0 disables it)", topK);
        require(topP > 0 && topP <= 1, "topP", "in (0, 1] (1 disables it)", topP);
        require(minP >= 0 && minP <= 1, "minP", "in [0, 1] (0 disables it)", minP);
        require(Double.isFinite(repetitionPenalty) && repetitionPenalty > 0,
                "repetitionPenalty", "> 0 and finite (1 disables it)", repetitionPenalty);
        require(frequencyPenalty >= -2 && frequencyPenalty <= 2,
                "frequencyPenalty", "in [-2, 2] (0 disables it)", frequencyPenalty);
        require(presencePenalty >= -2 && presencePenalty <= 2,
                "presencePenalty", "in [-2, 2] (0 disables it)", presencePenalty);
        require(maxNewTokens >= 1, "maxNewTokens", ">= 1", maxNewTokens);
        stopSequences = stopSequences == null ? List.of() : stopSequences;
        // The messages give sizes, not the texts: a refused list may be huge.
        require(stopSequences.size() <= MAX_STOP_SEQUENCES, "stopSequences",
                "at most " + MAX_STOP_SEQUENCES + " texts", stopSequences.size() + " texts");
        for (int i = 0; i < stopSequences.size(); i++) {
            String stop = stopSequences.get(i);
            require(stop != null && !stop.isEmpty(), "stopSequences", "non-empty strings",
                    "[" + i + "] " + (stop == null ? "null" : "empty"));
            require(stop.length() <= MAX_STOP_SEQUENCE_LENGTH, "stopSequences",
                    "texts of at most " + MAX_STOP_SEQUENCE_LENGTH + " characters", "[" + i + "] of " + stop.length());
        }
        stopSequences = List.copyOf(stopSequences);
        stopTokenIds = stopTokenIds == null ? Set.of() : stopTokenIds;
        for (Integer id : stopTokenIds) {
            require(id != null && id >= 0, "stopTokenIds", "token ids >= 0", stopTokenIds);
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** A builder starting from the neutral defaults listed on {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Greedy decoding: always the most likely token (temperature 0), no penalties. */
    public static SamplingParameters greedy() {
        return builder().temperature(0).build();
    }

    /** The firefly-llama2-7B-chat model card's temperature; the one place of this default (Spring, the CLI read it). */
    public static final double MODEL_CARD_TEMPERATURE = 0.7;
    /** The model card's top_p. */
    public static final double MODEL_CARD_TOP_P = 0.95;
    /** The model card's top_k. */
    public static final int MODEL_CARD_TOP_K = 40;
    /** The model card's repetition_penalty. */
    public static final double MODEL_CARD_REPETITION_PENALTY = 1.1;
    /** The model card's max_new_tokens. */
    public static final int MODEL_CARD_MAX_NEW_TOKENS = 512;

    /**
     * The defaults recommended by the firefly-llama2-7B-chat model card: temperature 0.7, top_p 0.95,
     * top_k 40, repetition_penalty 1.1, max_new_tokens 512 (the {@code MODEL_CARD_*} constants).
     */
    public static SamplingParameters modelCardDefaults() {
        return builder().temperature(MODEL_CARD_TEMPERATURE).topP(MODEL_CARD_TOP_P).topK(MODEL_CARD_TOP_K)
                .repetitionPenalty(MODEL_CARD_REPETITION_PENALTY).maxNewTokens(MODEL_CARD_MAX_NEW_TOKENS).build();
    }

    /** A builder holding these values, for overrides: {@code params.toBuilder().seed(42L).build()}. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** True when the next token is the argmax rather than a draw (temperature 0). */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** True when {@code tokenId} is one of {@link #stopTokenIds()}. */
    public boolean isStopToken(int tokenId) {
        return stopTokenIds.contains(tokenId);
    }

    private static void require(boolean valid, String name, String allowed, Object actual) {
        if (!valid) {
            throw new IllegalArgumentException(name + " must be " + allowed + ", but was " + actual);
        }
    }

    /**
     * Builds {@link SamplingParameters}. Unset values keep these defaults, which sample from the plain
     * softmax: temperature 1, topK 0 (off), topP 1 (off), minP 0 (off), repetitionPenalty 1 (off),
     * frequencyPenalty and presencePenalty 0 (off), seed null (random), maxNewTokens 512, no stop
     * sequences and no stop token ids. Values are checked by {@link #build()}.
     */
    public static final class Builder {
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private double minP = 0.0;
        private double repetitionPenalty = 1.0;
        private double frequencyPenalty = 0.0;
        private double presencePenalty = 0.0;
        private Long seed;
        private int maxNewTokens = 512;
        private List<String> stopSequences = List.of();
        private Set<Integer> stopTokenIds = Set.of();

        private Builder() {
        }

        private Builder(SamplingParameters p) {
            temperature = p.temperature;
            topK = p.topK;
            topP = p.topP;
            minP = p.minP;
            repetitionPenalty = p.repetitionPenalty;
            frequencyPenalty = p.frequencyPenalty;
            presencePenalty = p.presencePenalty;
            seed = p.seed;
            maxNewTokens = p.maxNewTokens;
            stopSequences = p.stopSequences;
            stopTokenIds = p.stopTokenIds;
        }

        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        public Builder topP(double topP) {
            this.topP = topP;
            return this;
        }

        public Builder minP(double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repetitionPenalty(double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        public Builder frequencyPenalty(double frequencyPenalty) {
            this.frequencyPenalty = frequencyPenalty;
            return this;
        }

        public Builder presencePenalty(double presencePenalty) {
            this.presencePenalty = presencePenalty;
            return this;
        }

        /** The random seed; {@code null} for a random one. */
        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder maxNewTokens(int maxNewTokens) {
            this.maxNewTokens = maxNewTokens;
            return this;
        }

        public Builder stopSequences(List<String> stopSequences) {
            this.stopSequences = stopSequences;
            return this;
        }

        public Builder stopSequences(String... stopSequences) {
            return stopSequences(Arrays.asList(stopSequences));
        }

        public Builder stopTokenIds(Set<Integer> stopTokenIds) {
            this.stopTokenIds = stopTokenIds;
            return this;
        }

        public Builder stopTokenIds(int... stopTokenIds) {
            return stopTokenIds(Arrays.stream(stopTokenIds).boxed().collect(Collectors.toSet()));
        }

        /** The parameters; throws {@link IllegalArgumentException} naming the first invalid one. */
        public SamplingParameters build() {
            return new SamplingParameters(temperature, topK, topP, minP, repetitionPenalty,
                    frequencyPenalty, presencePenalty, seed, maxNewTokens, stopSequences, stopTokenIds);
        }
    }
}
