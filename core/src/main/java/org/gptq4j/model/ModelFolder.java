package org.gptq4j.model;

import org.gptq4j.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A model folder laid out like a Hugging Face download, read once: the architecture ({@code config.json}), the
 * quantization settings, the chat-template source and special-token texts ({@code tokenizer_config.json},
 * {@code chat_template.jinja}) and the generation defaults ({@code generation_config.json}). It is the one place
 * that knows the folder's file names; the weights are found by {@link org.gptq4j.io.Checkpoint} and the tokenizer
 * file by {@link Tokenizer#fromModelFolder}. Every file is read bounded, and a bad one is a {@link ConfigException}
 * naming it. Immutable.
 */
public final class ModelFolder {
    public static final String CONFIG = "config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    /** The files that may hold the GPTQ settings, in order of precedence, before config.json's quantization_config. */
    public static final List<String> QUANTIZE_CONFIGS = List.of("quantize_config.json", "quant_config.json");
    public static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    /** Where newer transformers versions save the chat template that older ones kept in tokenizer_config.json. */
    public static final String CHAT_TEMPLATE = "chat_template.jinja";
    public static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    /** Every file of a folder besides the weights, in the order a download fetches them; only config.json is required. */
    public static final List<String> FILES = Stream.of(List.of(CONFIG, GENERATION_CONFIG), QUANTIZE_CONFIGS,
            Tokenizer.FOLDER_FILES, List.of(TOKENIZER_CONFIG, CHAT_TEMPLATE, SPECIAL_TOKENS_MAP))
            .flatMap(List::stream).toList();

    private final Path path;
    private final LlamaConfig config;
    private final Optional<GptqConfig> quantization;
    private final ChatTemplateSource chatTemplate;
    private final GenerationDefaults generationDefaults;

    private ModelFolder(Path path, LlamaConfig config, Optional<GptqConfig> quantization, ChatTemplateSource chatTemplate,
                        GenerationDefaults generationDefaults) {
        this.path = path;
        this.config = config;
        this.quantization = quantization;
        this.chatTemplate = chatTemplate;
        this.generationDefaults = generationDefaults;
    }

    /**
     * Reads the folder's configuration files (not its weights or tokenizer).
     *
     * @throws ConfigException           when the folder or its config.json is missing, or a file is bad
     * @throws UnsupportedModelException for an architecture or quantization gptq4j does not run
     */
    public static ModelFolder read(Path folder) {
        if (!Files.isDirectory(folder)) throw new ConfigException("model folder " + folder + " does not exist");
        Path configFile = folder.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) throw new ConfigException("model folder " + folder + " has no " + CONFIG);
        var configJson = JsonFiles.read(configFile);
        LlamaConfig config = LlamaConfig.parse(configJson, configFile.toString());
        Optional<GptqConfig> quantization = GptqConfig.read(folder, configJson);
        return new ModelFolder(folder, config, quantization, ChatTemplateSource.read(folder), GenerationDefaults.read(folder));
    }

    /** The folder itself. */
    public Path path() {
        return path;
    }

    /** The repository id for a Hub cache snapshot, else the folder's own name (e.g. {@code firefly-llama2-7b-chat-gptq}), or {@code "gptq4j"} for a root. */
    public String name() {
        java.util.Optional<String> repoId = org.gptq4j.hub.ModelRef.repoIdOfSnapshot(path);
        if (repoId.isPresent()) return repoId.get(); // a Hub snapshot: the repository id, not the commit
        Path name = path.toAbsolutePath().normalize().getFileName();
        return name == null ? "gptq4j" : name.toString();
    }

    public LlamaConfig config() {
        return config;
    }

    /** The GPTQ settings, empty for an unquantized (float) checkpoint. */
    public Optional<GptqConfig> quantization() {
        return quantization;
    }

    /** The chat template the folder declares, with the BOS/EOS texts templates use. */
    public ChatTemplateSource chatTemplate() {
        return chatTemplate;
    }

    public GenerationDefaults generationDefaults() {
        return generationDefaults;
    }

    /** Loads the folder's tokenizer ({@code tokenizer.model}, else {@code tokenizer.json}). */
    public Tokenizer loadTokenizer() {
        return Tokenizer.fromModelFolder(path);
    }

    @Override
    public String toString() {
        return "ModelFolder[" + path + "]";
    }
}
