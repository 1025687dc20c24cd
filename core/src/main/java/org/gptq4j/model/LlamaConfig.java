package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The architecture of a Llama model, read from {@code config.json} with the defaults transformers' {@code LlamaConfig}
 * applies to absent keys (firefly-llama2-7b-chat's 4.30-era file has no {@code rope_theta}: 10000).
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

    private static final Set<String> LLAMA_TYPES = Set.of("llama");

    public LlamaConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (numHeads % numKvHeads != 0) {
            throw new ConfigException("num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim % 2 != 0) throw new ConfigException("head_dim " + headDim + " must be even for rotary embeddings");
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public static LlamaConfig read(Path folder) {
        Path file = folder.resolve("config.json");
        if (!Files.isRegularFile(file)) throw new ConfigException("model folder " + folder + " has no config.json");
        return parse(JsonFiles.read(file), file.toString());
    }

    /** Parses a config.json tree; {@code source} names the file in errors. */
    public static LlamaConfig parse(JsonNode json, String source) {
        Keys keys = new Keys(json, source);
        String modelType = keys.text("model_type", null);
        List<String> architectures = keys.textList("architectures");
        boolean llama = modelType != null ? LLAMA_TYPES.contains(modelType)
                : architectures.stream().anyMatch(a -> a.equals("LlamaForCausalLM"));
        if (!llama) {
            throw new UnsupportedModelException(source + ": model_type '" + modelType + "' (architectures " + architectures
                    + ") is not supported; gptq4j runs Llama models (model_type 'llama', LlamaForCausalLM)");
        }
        String act = keys.text("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new UnsupportedModelException(source + ": hidden_act '" + act + "' is not supported; Llama uses 'silu'");
        }
        int hidden = keys.positiveInt("hidden_size", 4096);
        int heads = keys.positiveInt("num_attention_heads", 32);
        int kvHeads = keys.positiveInt("num_key_value_heads", heads);
        if (hidden % heads != 0 && !json.has("head_dim")) {
            throw new ConfigException(source + ": hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        int headDim = keys.positiveInt("head_dim", hidden / heads);
        int maxPos = keys.positiveInt("max_position_embeddings", 2048);

        // Rotary settings: transformers 5 moved them into rope_parameters; older files use rope_theta + rope_scaling.
        JsonNode ropeParams = json.get("rope_parameters");
        double theta;
        RopeScaling scaling;
        if (ropeParams != null && ropeParams.isObject()) {
            Keys rp = new Keys(ropeParams, source + " rope_parameters");
            theta = rp.positiveDouble("rope_theta", keys.positiveDouble("rope_theta", 10000.0));
            scaling = parseScaling(ropeParams, source + " rope_parameters", maxPos);
        } else {
            theta = keys.positiveDouble("rope_theta", 10000.0);
            JsonNode rs = json.get("rope_scaling");
            scaling = rs == null || rs.isNull() ? RopeScaling.NONE : parseScaling(rs, source + " rope_scaling", maxPos);
        }

        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = json.get("eos_token_id");
        if (eosNode == null || eosNode.isNull()) eos.add(2);
        else if (eosNode.isArray()) eosNode.forEach(n -> eos.add(n.asInt()));
        else eos.add(keys.nonNegativeInt("eos_token_id", 2));

        return new LlamaConfig(
                hidden,
                keys.positiveInt("intermediate_size", 11008),
                keys.positiveInt("num_hidden_layers", 32),
                heads, kvHeads, headDim,
                keys.positiveInt("vocab_size", 32000),
                keys.positiveDouble("rms_norm_eps", 1e-6),
                theta, scaling, maxPos,
                keys.bool("tie_word_embeddings", false),
                keys.nonNegativeInt("bos_token_id", 1),
                eos);
    }

    private static RopeScaling parseScaling(JsonNode node, String source, int maxPos) {
        if (!node.isObject()) throw new ConfigException(source + " must be an object or null");
        Keys k = new Keys(node, source);
        String type = k.text("rope_type", k.text("type", "default"));
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling(RopeScaling.Type.LINEAR, k.positiveDouble("factor", 1.0), 1, 4, maxPos);
            case "dynamic" -> new RopeScaling(RopeScaling.Type.DYNAMIC, k.positiveDouble("factor", 1.0), 1, 4, maxPos);
            case "llama3" -> new RopeScaling(RopeScaling.Type.LLAMA3, k.positiveDouble("factor", 8.0),
                    k.positiveDouble("low_freq_factor", 1.0), k.positiveDouble("high_freq_factor", 4.0),
                    k.positiveInt("original_max_position_embeddings", 8192));
            default -> throw new UnsupportedModelException(source + ": rope scaling type '" + type
                    + "' is not supported (supported: default, linear, dynamic, llama3)");
        };
    }

    /** Typed access to optional keys with defaults and errors that name the key. */
    record Keys(JsonNode json, String source) {
        String text(String key, String fallback) {
            JsonNode n = json.get(key);
            if (n == null || n.isNull()) return fallback;
            if (!n.isTextual()) throw new ConfigException(source + ": " + key + " must be a string, got " + n);
            return n.asText();
        }

        List<String> textList(String key) {
            JsonNode n = json.get(key);
            List<String> out = new ArrayList<>();
            if (n != null && n.isArray()) n.forEach(e -> out.add(e.asText()));
            return out;
        }

        int positiveInt(String key, int fallback) {
            int v = intValue(key, fallback);
            if (v <= 0) throw new ConfigException(source + ": " + key + " must be a positive integer, got " + v);
            return v;
        }

        int nonNegativeInt(String key, int fallback) {
            int v = intValue(key, fallback);
            if (v < 0) throw new ConfigException(source + ": " + key + " must be >= 0, got " + v);
            return v;
        }

        int intValue(String key, int fallback) {
            JsonNode n = json.get(key);
            if (n == null || n.isNull()) return fallback;
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw new ConfigException(source + ": " + key + " must be an integer, got " + n);
            }
            return n.asInt();
        }

        double positiveDouble(String key, double fallback) {
            JsonNode n = json.get(key);
            if (n == null || n.isNull()) return fallback;
            if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
                throw new ConfigException(source + ": " + key + " must be a positive number, got " + n);
            }
            return n.asDouble();
        }

        boolean bool(String key, boolean fallback) {
            JsonNode n = json.get(key);
            if (n == null || n.isNull()) return fallback;
            if (!n.isBoolean()) throw new ConfigException(source + ": " + key + " must be true or false, got " + n);
            return n.asBoolean();
        }
    }
}
