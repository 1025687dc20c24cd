package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The sampling settings a model's authors recommend, from {@code generation_config.json}; each is null where the
 * file does not set it. Informational: the engine samples with the request's {@code SamplingParameters}.
 *
 * @param doSample          {@code do_sample}: false means greedy decoding
 * @param temperature       {@code temperature}
 * @param topP              {@code top_p}
 * @param topK              {@code top_k}
 * @param repetitionPenalty {@code repetition_penalty}
 * @param maxNewTokens      {@code max_new_tokens}
 * @param eosTokenIds       {@code eos_token_id} (an int or a list), empty when absent
 */
public record GenerationDefaults(Boolean doSample, Double temperature, Double topP, Integer topK,
                                 Double repetitionPenalty, Integer maxNewTokens, List<Integer> eosTokenIds) {

    /** A folder without {@code generation_config.json}. */
    public static final GenerationDefaults NONE = new GenerationDefaults(null, null, null, null, null, null, List.of());

    public GenerationDefaults {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /**
     * Reads {@code folder/generation_config.json}, or {@link #NONE} without one.
     *
     * @throws ConfigException when the file is too large, not JSON, or a key has the wrong type
     */
    public static GenerationDefaults read(Path folder) {
        Path file = folder.resolve(ModelFolder.GENERATION_CONFIG);
        if (!Files.isRegularFile(file)) return NONE;
        JsonNode json = JsonFiles.read(file);
        JsonFiles.Keys keys = new JsonFiles.Keys(json, file.toString());
        return new GenerationDefaults(keys.flag("do_sample"), keys.number("temperature"), keys.number("top_p"),
                keys.integer("top_k"), keys.number("repetition_penalty"), keys.integer("max_new_tokens"),
                keys.has("eos_token_id") ? keys.intList("eos_token_id", 0) : List.of());
    }
}
