package org.gptq4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.gptq4j.model.ModelFolder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The files a GPTQ Llama model needs, chosen from a repository's file listing: the configs and tokenizer files that
 * exist, then the safetensors weights they name. Pickled weights ({@code .bin}, {@code .pt}) are never chosen.
 *
 * <p>Weights, in order of preference:
 * <ol>
 *   <li>{@code {model_file_base_name}.safetensors} (or its {@code .index.json}), the base name read from
 *       {@code quantize_config.json}, {@code quant_config.json} or {@code config.json}'s
 *       {@code quantization_config} (AutoGPTQ's {@code gptq_model-4bit-128g});</li>
 *   <li>{@code model.safetensors};</li>
 *   <li>{@code model.safetensors.index.json} and every shard its {@code weight_map} names;</li>
 *   <li>the repository's only {@code .safetensors} file, or its only {@code .safetensors.index.json}.</li>
 * </ol>
 *
 * @param configs the configuration and tokenizer files, in the order fetched
 * @param weights the weight files (an index first, then its shards), in the order fetched
 */
public record ModelFiles(List<String> configs, List<String> weights) {

    /**
     * Configuration, tokenizer and chat template files, fetched when the listing has them; {@code config.json} is
     * required. They are the files a {@link ModelFolder} reads.
     */
    public static final List<String> CONFIG_FILES = ModelFolder.FILES;
    private static final String SAFETENSORS = ".safetensors";
    private static final String INDEX = ".safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelFiles {
        configs = List.copyOf(configs);
        weights = List.copyOf(weights);
    }

    /** Where files come from: the Hub (downloading them) or a cached snapshot. */
    public interface Source {
        /** The local path of {@code file}, fetching it first if need be. */
        Path fetch(String file);

        /** Names the source in error messages, e.g. {@code TheBloke/x at revision main}. */
        default String describe() {
            return "the repository";
        }
    }

    /** Every file, configs first. */
    public List<String> all() {
        return Stream.concat(configs.stream(), weights.stream()).toList();
    }

    /**
     * Chooses the model's files from {@code listing} and fetches them from {@code source}: the configs first, then
     * the weights they name (an index before its shards).
     *
     * @throws HubException NOT_FOUND (missing {@code FILE}) when there is no {@code config.json} or no safetensors weights;
     *                      INVALID_INPUT when a shard index names an unsafe file
     */
    public static ModelFiles fetch(Collection<String> listing, Source source) {
        Set<String> files = new TreeSet<>(listing);
        if (!files.contains(ModelFolder.CONFIG)) {
            throw new HubException(HubException.Missing.FILE, source.describe()
                    + " has no config.json: it is not a transformers model");
        }
        Map<String, Path> configs = new LinkedHashMap<>();
        CONFIG_FILES.stream().filter(files::contains).forEach(name -> configs.put(name, source.fetch(name)));
        Optional<String> baseName = baseName(configs, source);

        List<String> weights = new ArrayList<>();
        String single = baseName.map(b -> b + SAFETENSORS).filter(files::contains)
                .or(() -> Optional.of("model" + SAFETENSORS).filter(files::contains))
                .orElse(null);
        String index = single != null ? null : baseName.map(b -> b + INDEX).filter(files::contains)
                .or(() -> Optional.of("model" + INDEX).filter(files::contains))
                .or(() -> onlyOne(files, INDEX))
                .orElse(null);
        if (single == null && index == null) single = onlyOne(files, SAFETENSORS).orElse(null);
        if (single != null) {
            weights.add(single);
        } else if (index != null) {
            weights.add(index);
            weights.addAll(shards(index, source.fetch(index), files, source));
        } else {
            throw new HubException(HubException.Missing.FILE, source.describe() + " has no safetensors weights"
                    + baseName.map(b -> " (looked for " + b + SAFETENSORS + ", model.safetensors and a shard index)")
                    .orElse(" (looked for model.safetensors and a shard index)")
                    + "; pickled .bin/.pt weights are not supported");
        }
        weights.stream().filter(w -> !w.equals(index)).forEach(source::fetch);
        return new ModelFiles(List.copyOf(configs.keySet()), weights);
    }

    /** {@code model_file_base_name} from the quantize config, or from config.json's quantization_config. */
    private static Optional<String> baseName(Map<String, Path> configs, Source source) {
        for (String name : ModelFolder.QUANTIZE_CONFIGS) {
            if (configs.containsKey(name)) {
                Optional<String> base = text(readJson(name, configs.get(name), source).get("model_file_base_name"));
                if (base.isPresent()) return base;
            }
        }
        JsonNode quantization = readJson(ModelFolder.CONFIG, configs.get(ModelFolder.CONFIG), source).get("quantization_config");
        return quantization == null ? Optional.empty() : text(quantization.get("model_file_base_name"));
    }

    private static Optional<String> text(JsonNode node) {
        return node != null && node.isTextual() && !node.asText().isBlank() ? Optional.of(node.asText())
                : Optional.empty();
    }

    private static Optional<String> onlyOne(Set<String> files, String suffix) {
        List<String> matching = files.stream().filter(f -> f.endsWith(suffix) && !f.contains("/")).toList();
        return matching.size() == 1 ? Optional.of(matching.getFirst()) : Optional.empty();
    }

    /** The shards an index's {@code weight_map} names, resolved beside the index, each checked and listed. */
    private static List<String> shards(String index, Path indexFile, Set<String> files, Source source) {
        JsonNode weightMap = readJson(index, indexFile, source).get("weight_map");
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new HubException(HubException.Kind.PROTOCOL, index + " of " + source.describe()
                    + " has no weight_map");
        }
        String folder = index.contains("/") ? index.substring(0, index.lastIndexOf('/') + 1) : "";
        Set<String> shards = new TreeSet<>();
        for (JsonNode value : weightMap) {
            String shard = value.asText();
            RepoPath.requireSafe(shard, index + " of " + source.describe());
            String path = folder + shard;
            if (!path.endsWith(SAFETENSORS)) {
                throw new HubException(HubException.Kind.INVALID_INPUT, index + " of " + source.describe()
                        + " names " + RepoPath.quoted(shard) + ", which is not a .safetensors file");
            }
            if (!files.contains(path)) {
                throw new HubException(HubException.Missing.FILE, index + " of " + source.describe()
                        + " names the shard " + RepoPath.quoted(path) + ", which is not in the repository");
            }
            shards.add(path);
        }
        return List.copyOf(shards);
    }

    private static JsonNode readJson(String name, Path file, Source source) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) throw new IOException("not a JSON object");
            return node;
        } catch (IOException e) {
            throw new HubException(HubException.Kind.PROTOCOL, name + " of " + source.describe()
                    + " is not a readable JSON object: " + e.getMessage(), e);
        }
    }
}
