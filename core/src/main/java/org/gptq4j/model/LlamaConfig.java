package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The architecture of a Llama model, read from {@code config.json} with the defaults transformers' {@code LlamaConfig}
 * applies to absent keys ({@code transformers/models/llama/configuration_llama.py}: vocab_size 32000, hidden_size
 * 4096, intermediate_size 11008, num_hidden_layers 32, num_attention_heads 32, num_key_value_heads = heads,
 * hidden_act silu, max_position_embeddings 2048, rms_norm_eps 1e-6, bos 1, eos 2, tie_word_embeddings false,
 * rope_theta 10000, no rope scaling, head_dim = hidden_size / heads). firefly-llama2-7b-chat's 4.30-era file has no
 * {@code rope_theta}, for instance. Other architectures are refused with {@link UnsupportedModelException}.
 */
public record LlamaConfig(
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    /**
     * Only Llama. Mistral's config differs from Llama's only by {@code sliding_window}, which changes attention past
     * that many tokens and is not implemented, so Mistral is refused with the rest rather than half-supported.
     */
    private static final String MODEL_TYPE = "llama";
    /** The causal-LM class names of Llama (the second is the pre-4.28 spelling some old repos keep). */
    private static final Set<String> ARCHITECTURES = Set.of("LlamaForCausalLM", "LLaMAForCausalLM");
    /** transformers maps both names to the same {@code nn.SiLU}. */
    private static final Set<String> ACTIVATIONS = Set.of("silu", "swish");

    /**
     * The most floats one token's vector may have, for every vector the forward pass holds (hidden, intermediate, query
     * and key/value projections, logits): 2^24, 128 times Llama-3.1-405B's intermediate size and vocabulary. Larger
     * sizes are refused at load, so that sizes derived from them (a batch's activations, the KV cache's strides) are
     * computed without overflow.
     */
    public static final int MAX_VECTOR = 1 << 24;

    public LlamaConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (numHeads % numKvHeads != 0) {
            throw new ConfigException("num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim % 2 != 0) throw new ConfigException("head_dim " + headDim + " must be even for rotary embeddings");
        requireVector("hidden_size", hiddenSize);
        requireVector("intermediate_size", intermediateSize);
        requireVector("vocab_size", vocabSize);
        requireVector("num_attention_heads " + numHeads + " x head_dim", (long) numHeads * headDim);
        requireVector("num_key_value_heads " + numKvHeads + " x head_dim", (long) numKvHeads * headDim);
    }

    private static void requireVector(String what, long size) {
        if (size > MAX_VECTOR) {
            throw new ConfigException(what + " " + size + " exceeds the largest supported vector of " + MAX_VECTOR + " floats");
        }
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public int qDim() {
        return numHeads * headDim;
    }

    /** Reads {@code folder/config.json}. */
    public static LlamaConfig read(Path folder) {
        Path file = folder.resolve(ModelFolder.CONFIG);
        if (!Files.isRegularFile(file)) throw new ConfigException("model folder " + folder + " has no " + ModelFolder.CONFIG);
        return parse(JsonFiles.read(file), file.toString());
    }

    /** Parses a config.json tree; {@code source} names the file in errors. */
    public static LlamaConfig parse(JsonNode json, String source) {
        if (!json.isObject()) throw new ConfigException(source + ": expected a JSON object");
        JsonFiles.Keys keys = new JsonFiles.Keys(json, source);
        requireLlama(keys);
        String act = keys.text("hidden_act", "silu");
        if (!ACTIVATIONS.contains(act)) {
            throw new UnsupportedModelException(source + ": hidden_act '" + act + "' is not supported (supported: silu, as Llama uses)");
        }

        int hidden = keys.positiveInt("hidden_size", 4096);
        int heads = keys.positiveInt("num_attention_heads", 32);
        int kvHeads = keys.positiveInt("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw new ConfigException(source + ": num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (!keys.has("head_dim") && hidden % heads != 0) {
            throw new ConfigException(source + ": hidden_size " + hidden + " is not divisible by num_attention_heads " + heads
                    + " and there is no head_dim");
        }
        int headDim = keys.positiveInt("head_dim", hidden / heads);
        if (headDim % 2 != 0) throw new ConfigException(source + ": head_dim " + headDim + " must be even for rotary embeddings");
        int maxPos = keys.positiveInt("max_position_embeddings", 2048);

        // Rotary settings: transformers 5 moved them into rope_parameters (rope_type, rope_theta, factor, ...);
        // older files keep rope_theta at the top level and the scaling in rope_scaling.
        double theta;
        RopeScaling scaling;
        if (keys.has("rope_parameters")) {
            JsonNode params = json.get("rope_parameters");
            String where = source + " rope_parameters";
            if (!params.isObject()) throw new ConfigException(where + " must be an object, got " + params);
            theta = new JsonFiles.Keys(params, where).positiveDouble("rope_theta", keys.positiveDouble("rope_theta", 10000.0));
            scaling = RopeScaling.parse(params, where, maxPos);
        } else {
            theta = keys.positiveDouble("rope_theta", 10000.0);
            scaling = keys.has("rope_scaling") ? RopeScaling.parse(json.get("rope_scaling"), source + " rope_scaling", maxPos)
                    : RopeScaling.NONE;
        }

        int intermediate = keys.positiveInt("intermediate_size", 11008), layers = keys.positiveInt("num_hidden_layers", 32);
        int vocab = keys.positiveInt("vocab_size", 32000);
        double eps = keys.positiveDouble("rms_norm_eps", 1e-6);
        boolean tied = keys.bool("tie_word_embeddings", false);
        int bos = keys.nonNegativeInt("bos_token_id", 1);
        List<Integer> eos = keys.intList("eos_token_id", 2);
        try {
            return new LlamaConfig(hidden, intermediate, layers, heads, kvHeads, headDim, vocab, eps, theta, scaling, maxPos, tied, bos, eos);
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /** {@code model_type} decides when present (as transformers' AutoConfig does); else {@code architectures}. */
    private static void requireLlama(JsonFiles.Keys keys) {
        String modelType = keys.text("model_type", null);
        List<String> architectures = keys.textList("architectures");
        boolean typeOk = modelType == null ? architectures.stream().anyMatch(ARCHITECTURES::contains) : modelType.equals(MODEL_TYPE);
        boolean architectureOk = architectures.isEmpty() || architectures.stream().anyMatch(ARCHITECTURES::contains);
        if (!typeOk || !architectureOk) {
            throw new UnsupportedModelException(keys.source() + ": model_type " + (modelType == null ? "(absent)" : "'" + modelType + "'")
                    + " with architectures " + architectures + " is not supported (supported: model_type 'llama', "
                    + "architecture LlamaForCausalLM)");
        }
    }
}
