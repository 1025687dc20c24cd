package org.gptq4j.spring;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.gptq4j.hub.ModelRef;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.gptq4j.sampling.SamplingParameters;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which model the {@code ChatModel} and {@code StreamingChatModel} beans run, and how they sample by default (each
 * request may override). Give {@code repo} (and {@code branch}) to download from the Hugging Face Hub, or
 * {@code model-path} for a folder already on disk; the beans exist only when one of them is set. The sampling
 * defaults are those the firefly-llama2-7B-chat model card recommends. Every value is checked when bound; a bad one
 * fails startup with a {@link GptqPropertyException} naming the property and its allowed values.
 *
 * @param repo              Hugging Face Hub repository, e.g. TheBloke/firefly-llama2-7B-chat-GPTQ
 * @param branch            branch, tag or commit of repo, e.g. gptq-4bit-32g-actorder_True
 * @param modelPath         a local model folder (config.json, safetensors, tokenizer) instead of repo
 * @param modelName         the name reported in responses and served at /v1/models; default: the repository id,
 *                          else the folder name
 * @param temperature       divides the logits before sampling; 0 means greedy
 * @param topP              nucleus sampling: keep the most likely tokens up to this cumulative probability; 1
 *                          disables it
 * @param topK              keep only the k most likely tokens; 0 disables it
 * @param repetitionPenalty penalty on tokens already in the prompt or answer (transformers' definition); 1 disables
 *                          it
 * @param maxNewTokens      most tokens one answer may have
 * @param seed              makes sampling reproducible; default: a random seed per request
 * @param stopSequences     texts that end an answer (not included in it)
 * @param chatTemplate      a built-in chat template (llama2, firefly, chatml, raw); default: the model folder's
 *                          chat_template, else raw
 * @param baseUrl           an OpenAI-compatible server (vLLM, TGI, another gptq4j) to run the chat models on
 *                          instead of a model in this process, e.g. http://vllm:8000/v1; then no model is loaded here,
 *                          the model is asked for by {@code model-name} (default: the repository id, vLLM's default
 *                          served model name) and the sampling properties become request fields (top-k and
 *                          repetition-penalty as vLLM's extra fields {@code top_k}, {@code repetition_penalty})
 * @param apiKey            the API key sent to {@code base-url} as {@code Authorization: Bearer}; default: none
 */
@ConfigurationProperties(GptqChatModelProperties.PREFIX)
public record GptqChatModelProperties(
        String repo,
        @DefaultValue(ModelRef.DEFAULT_REVISION) String branch,
        Path modelPath,
        String modelName,
        @DefaultValue("" + SamplingParameters.MODEL_CARD_TEMPERATURE) double temperature,
        @DefaultValue("" + SamplingParameters.MODEL_CARD_TOP_P) double topP,
        @DefaultValue("" + SamplingParameters.MODEL_CARD_TOP_K) int topK,
        @DefaultValue("" + SamplingParameters.MODEL_CARD_REPETITION_PENALTY) double repetitionPenalty,
        @DefaultValue("" + SamplingParameters.MODEL_CARD_MAX_NEW_TOKENS) int maxNewTokens,
        Long seed,
        List<String> stopSequences,
        String chatTemplate,
        URI baseUrl,
        String apiKey) {

    public static final String PREFIX = GptqProperties.PREFIX + ".chat-model";
    static final String REPO = PREFIX + ".repo";
    static final String BRANCH = PREFIX + ".branch";
    static final String MODEL_PATH = PREFIX + ".model-path";
    static final String BASE_URL = PREFIX + ".base-url";

    public GptqChatModelProperties {
        stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        if (repo != null && modelPath != null) {
            throw new GptqPropertyException(MODEL_PATH, modelPath, "both " + REPO + " (" + repo + ") and "
                    + MODEL_PATH + " are set, so the model to run is ambiguous",
                    "exactly one of " + REPO + " (download from the Hub) and " + MODEL_PATH + " (a local folder)");
        }
        if (repo != null) modelRef(repo, branch);
        if (baseUrl != null && (!("http".equals(baseUrl.getScheme()) || "https".equals(baseUrl.getScheme()))
                || baseUrl.getHost() == null)) {
            throw new GptqPropertyException(BASE_URL, baseUrl, "not an http(s) URL with a host",
                    "the OpenAI-compatible API's base URL, e.g. http://vllm:8000/v1");
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new GptqPropertyException(PREFIX + ".api-key", "(blank)", "an API key must not be blank",
                    "the remote server's key, or unset to send none");
        }
        sampling("temperature", temperature, ">= 0 (0 means greedy)", b -> b.temperature(temperature));
        sampling("top-p", topP, "greater than 0 and at most 1 (1 disables it)", b -> b.topP(topP));
        sampling("top-k", topK, ">= 0 (0 disables it)", b -> b.topK(topK));
        sampling("repetition-penalty", repetitionPenalty, "> 0 (1 disables it, > 1 discourages repeats)",
                b -> b.repetitionPenalty(repetitionPenalty));
        sampling("max-new-tokens", maxNewTokens, ">= 1", b -> b.maxNewTokens(maxNewTokens));
        if (chatTemplate != null) {
            try {
                ChatTemplates.named(chatTemplate);
            } catch (IllegalArgumentException e) {
                throw new GptqPropertyException(PREFIX + ".chat-template", chatTemplate, e.getMessage(),
                        String.join(", ", ChatTemplates.BUILT_IN) + ", or unset for the model folder's chat_template", e);
            }
        }
        List<String> stops = stopSequences;
        sampling("stop-sequences", stops, "a list of non-empty texts", b -> b.stopSequences(stops));
    }

    /** The name the chat models report: {@code model-name}, else the repository id, else the folder name. */
    public String servedModelName() {
        if (modelName != null) return modelName;
        if (repo != null) return repo;
        Path name = modelPath == null ? null : modelPath.toAbsolutePath().normalize().getFileName();
        return name == null ? "gptq4j" : name.toString();
    }

    /** Whether the chat models run on a remote OpenAI-compatible server ({@code base-url}) rather than here. */
    public boolean isRemote() {
        return baseUrl != null;
    }

    /** The API key is a secret: only whether there is one is shown. */
    @Override
    public String toString() {
        return "GptqChatModelProperties[repo=" + repo + ", branch=" + branch + ", modelPath=" + modelPath
                + ", modelName=" + modelName + ", temperature=" + temperature + ", topP=" + topP + ", topK=" + topK
                + ", repetitionPenalty=" + repetitionPenalty + ", maxNewTokens=" + maxNewTokens + ", seed=" + seed
                + ", stopSequences=" + stopSequences + ", chatTemplate=" + chatTemplate + ", baseUrl=" + baseUrl
                + ", apiKey=" + (apiKey == null ? "none" : "(redacted)") + "]";
    }

    /** Whether a model is configured at all ({@code repo} or {@code model-path}). */
    public boolean hasModel() {
        return repo != null || modelPath != null;
    }

    /** The Hub model named by {@code repo} and {@code branch}; {@code null} when {@code repo} is not set. */
    public ModelRef modelRef() {
        return repo == null ? null : modelRef(repo, branch);
    }

    private static ModelRef modelRef(String repo, String branch) {
        ModelRef ref;
        try {
            ref = ModelRef.of(repo);
        } catch (IllegalArgumentException e) {
            throw new GptqPropertyException(REPO, repo, e.getMessage(),
                    "a Hub repository id org/name, e.g. TheBloke/firefly-llama2-7B-chat-GPTQ", e);
        }
        try {
            return ref.withRevision(branch);
        } catch (IllegalArgumentException e) {
            throw new GptqPropertyException(BRANCH, branch, e.getMessage(),
                    "a branch, tag or 40-hex commit of " + repo + ", e.g. main", e);
        }
    }

    /** Checks one sampling value with the engine's own rule, so the ranges have one definition. */
    private static void sampling(String name, Object value, String allowed, Consumer<SamplingParameters.Builder> set) {
        SamplingParameters.Builder builder = SamplingParameters.builder();
        set.accept(builder);
        try {
            builder.build();
        } catch (IllegalArgumentException e) {
            throw new GptqPropertyException(PREFIX + "." + name, value, e.getMessage(), allowed, e);
        }
    }
}
