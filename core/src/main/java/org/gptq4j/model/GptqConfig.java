package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * GPTQ quantization settings, never set by hand: read from {@code quantize_config.json}, else
 * {@code quant_config.json}, else the {@code quantization_config} object of {@code config.json}.
 *
 * @param bits              bits per weight: 2, 3, 4 or 8
 * @param groupSize         input features sharing one scale and zero, or -1 for one group per column
 * @param descAct           act-order: groups follow {@code g_idx} instead of contiguous input ranges
 * @param sym               symmetric quantization (informational: zeros are always read from {@code qzeros})
 * @param format            v1 {@code gptq} stores zero-1; {@code gptq_v2} stores the zero itself
 * @param modelFileBaseName weights file name without {@code .safetensors}, or null for the default
 */
public record GptqConfig(int bits, int groupSize, boolean descAct, boolean sym, Format format, String modelFileBaseName,
                         String source) {

    public enum Format { GPTQ, GPTQ_V2 }

    private static final Set<Integer> SUPPORTED_BITS = Set.of(2, 3, 4, 8);

    public GptqConfig {
        if (!SUPPORTED_BITS.contains(bits)) {
            throw new UnsupportedModelException(source + ": bits " + bits + " is not supported (supported: 2, 3, 4, 8)");
        }
        if (groupSize != -1 && groupSize <= 0) {
            throw new ConfigException(source + ": group_size must be -1 or a positive integer, got " + groupSize);
        }
    }

    /** Finds the quantization settings of a model folder, if it is quantized. */
    public static Optional<GptqConfig> read(Path folder, JsonNode configJson) {
        for (String name : new String[]{"quantize_config.json", "quant_config.json"}) {
            Path file = folder.resolve(name);
            if (Files.isRegularFile(file)) return Optional.of(parse(JsonFiles.read(file), file.toString()));
        }
        JsonNode embedded = configJson.get("quantization_config");
        if (embedded != null && !embedded.isNull()) {
            return Optional.of(parse(embedded, folder.resolve("config.json") + " quantization_config"));
        }
        return Optional.empty();
    }

    public static GptqConfig parse(JsonNode json, String source) {
        if (!json.isObject()) throw new ConfigException(source + ": expected a JSON object");
        LlamaConfig.Keys keys = new LlamaConfig.Keys(json, source);
        String method = keys.text("quant_method", "gptq");
        if (!method.equals("gptq")) {
            throw new UnsupportedModelException(source + ": quant_method '" + method + "' is not supported (supported: gptq)");
        }
        String format = keys.text("checkpoint_format", "gptq");
        if (json.path("is_marlin_format").asBoolean(false)) format = "marlin";
        Format parsedFormat = switch (format) {
            case "gptq" -> Format.GPTQ;
            case "gptq_v2" -> Format.GPTQ_V2;
            default -> throw new UnsupportedModelException(source + ": checkpoint_format '" + format
                    + "' is not supported (supported: gptq, gptq_v2)");
        };
        if (!json.has("bits")) throw new ConfigException(source + ": missing required key bits");
        int bits = keys.intValue("bits", 4);
        int group = keys.intValue("group_size", 128);
        return new GptqConfig(bits, group, keys.bool("desc_act", false), keys.bool("sym", true), parsedFormat,
                keys.text("model_file_base_name", null), source);
    }
}
