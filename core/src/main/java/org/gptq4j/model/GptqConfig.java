package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * GPTQ quantization settings, never set by hand: read from {@code quantize_config.json}, else
 * {@code quant_config.json}, else the {@code quantization_config} object of {@code config.json} (the first found
 * wins, whatever the others say). Anything but GPTQ in the {@code gptq}/{@code gptq_v2} layout at 2, 3, 4 or 8 bits
 * is refused with {@link UnsupportedModelException}: AWQ, bitsandbytes, EXL2, Marlin-repacked weights, other widths.
 *
 * @param bits              bits per weight: 2, 3, 4 or 8
 * @param groupSize         input features sharing one scale and zero, or -1 for one group per column
 * @param descAct           act-order: groups follow {@code g_idx} instead of contiguous input ranges
 * @param sym               symmetric quantization (informational: zeros are always read from {@code qzeros})
 * @param format            v1 {@code gptq} stores zero-1; {@code gptq_v2} stores the zero itself
 * @param modelFileBaseName weights file name without {@code .safetensors}, or null for the default
 * @param source            where the settings were read, for messages
 */
public record GptqConfig(int bits, int groupSize, boolean descAct, boolean sym, Format format, String modelFileBaseName,
                         String source) {

    /** How zeros are stored in {@code qzeros}. */
    public enum Format { GPTQ, GPTQ_V2 }

    private static final List<Integer> SUPPORTED_BITS = List.of(2, 3, 4, 8);
    /** Keys only AutoAWQ's quant_config.json has (it names no quant_method). */
    private static final List<String> AWQ_KEYS = List.of("w_bit", "q_group_size");

    public GptqConfig {
        if (!SUPPORTED_BITS.contains(bits)) {
            throw new UnsupportedModelException(source + ": bits " + bits + " is not supported (supported: 2, 3, 4, 8)");
        }
        if (groupSize != -1 && groupSize <= 0) {
            throw new ConfigException(source + ": group_size " + groupSize
                    + " is not valid (expected -1 for one group per column, or a positive integer)");
        }
    }

    /** Finds the quantization settings of a model folder, if it is quantized. */
    public static Optional<GptqConfig> read(Path folder, JsonNode configJson) {
        for (String name : ModelFolder.QUANTIZE_CONFIGS) {
            Path file = folder.resolve(name);
            if (Files.isRegularFile(file)) return Optional.of(parse(JsonFiles.read(file), file.toString()));
        }
        JsonNode embedded = configJson.get("quantization_config");
        if (embedded != null && !embedded.isNull()) {
            return Optional.of(parse(embedded, folder.resolve(ModelFolder.CONFIG) + " quantization_config"));
        }
        return Optional.empty();
    }

    /** Parses one settings object; {@code source} names it in errors. */
    public static GptqConfig parse(JsonNode json, String source) {
        if (!json.isObject()) throw new ConfigException(source + ": expected a JSON object, got " + json);
        JsonFiles.Keys keys = new JsonFiles.Keys(json, source);
        requireGptq(keys);
        Format format = format(keys);
        if (json.path("dynamic").isObject() && !json.path("dynamic").isEmpty()) {
            throw new UnsupportedModelException(source + ": per-module overrides in 'dynamic' are not supported "
                    + "(supported: one bits/group_size setting for every layer)");
        }
        keys.require("bits");
        return new GptqConfig(keys.intValue("bits", 0), keys.intValue("group_size", 128), keys.bool("desc_act", false),
                keys.bool("sym", true), format, keys.text("model_file_base_name", null), source);
    }

    private static void requireGptq(JsonFiles.Keys keys) {
        String method = keys.text("quant_method", AWQ_KEYS.stream().anyMatch(keys::has) ? "awq" : "gptq");
        if (!method.equalsIgnoreCase("gptq")) {
            throw new UnsupportedModelException(keys.source() + ": quant_method '" + method + "' is not supported (supported: gptq)");
        }
    }

    private static Format format(JsonFiles.Keys keys) {
        if (keys.bool("is_marlin_format", false)) {
            throw new UnsupportedModelException(keys.source() + ": is_marlin_format true (weights repacked for the Marlin kernel)"
                    + " is not supported (supported: checkpoint_format gptq, gptq_v2)");
        }
        String format = keys.text("checkpoint_format", "gptq");
        return switch (format) {
            case "gptq" -> Format.GPTQ;
            case "gptq_v2" -> Format.GPTQ_V2;
            default -> throw new UnsupportedModelException(keys.source() + ": checkpoint_format '" + format
                    + "' is not supported (supported: gptq, gptq_v2)");
        };
    }
}
