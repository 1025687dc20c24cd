package org.gptq4j.langchain4j;

import static dev.langchain4j.internal.Utils.copy;
import static dev.langchain4j.internal.Utils.getOrDefault;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.gptq4j.langchain4j.constraint.GrammarLimits;
import org.gptq4j.langchain4j.template.ChatTemplate;
import org.gptq4j.langchain4j.template.ChatTemplates;
import org.gptq4j.langchain4j.template.TemplateLimits;
import org.gptq4j.sampling.SamplingParameters;
import org.slf4j.Logger;

/** What {@link GptqChatModel} and {@link GptqStreamingChatModel} share: configuration and request planning. */
abstract class GptqBaseChatModel {

    protected final GenerationBackend backend;
    protected final RequestPlanner planner;
    protected final GptqChatRequestParameters defaultRequestParameters;
    protected final List<ChatModelListener> listeners;
    protected final Set<Capability> supportedCapabilities;
    final ExchangeLog exchangeLog;
    private final AutoCloseable ownedEngine;

    GptqBaseChatModel(Builder<?, ?> builder) {
        BackendSource source = builder.backendSource();
        this.backend = source.backend();
        this.ownedEngine = source.owned();
        ChatTemplate template = ChatTemplates.resolve(builder.chatTemplate, backend.model(),
                getOrDefault(builder.templateLimits, TemplateLimits.DEFAULT));
        String modelName = builder.modelName != null ? builder.modelName
                : backend.model() == null ? "gptq4j" : backend.model().name();
        this.planner = new RequestPlanner(backend, template,
                getOrDefault(builder.samplingDefaults, SamplingParameters.modelCardDefaults()),
                modelName, getOrDefault(builder.grammarLimits, GrammarLimits.DEFAULT), builder.maxContextTokens,
                Boolean.FALSE.equals(builder.parallelToolCalls) ? 1 : RequestPlanner.MAX_PARALLEL_TOOL_CALLS,
                !Boolean.FALSE.equals(builder.relaxRequiredToolChoice));

        ChatRequestParameters common = getOrDefault(builder.defaultRequestParameters, DefaultChatRequestParameters.EMPTY);
        GptqChatRequestParameters gptq = common instanceof GptqChatRequestParameters g ? g : GptqChatRequestParameters.EMPTY;
        this.defaultRequestParameters = GptqChatRequestParameters.builder()
                .modelName(getOrDefault(common.modelName(), modelName))
                .temperature(getOrDefault(builder.temperature, common.temperature()))
                .topP(getOrDefault(builder.topP, common.topP()))
                .topK(getOrDefault(builder.topK, common.topK()))
                .frequencyPenalty(getOrDefault(builder.frequencyPenalty, common.frequencyPenalty()))
                .presencePenalty(getOrDefault(builder.presencePenalty, common.presencePenalty()))
                .maxOutputTokens(getOrDefault(builder.maxOutputTokens, common.maxOutputTokens()))
                .stopSequences(getOrDefault(builder.stopSequences, common.stopSequences()))
                .toolSpecifications(common.toolSpecifications())
                .toolChoice(getOrDefault(builder.toolChoice, common.toolChoice()))
                .responseFormat(getOrDefault(builder.responseFormat, common.responseFormat()))
                .minP(getOrDefault(builder.minP, gptq.minP()))
                .repetitionPenalty(getOrDefault(builder.repetitionPenalty, gptq.repetitionPenalty()))
                .seed(getOrDefault(builder.seed, gptq.seed()))
                .logitBias(gptq.logitBias())
                .logprobs(gptq.logprobs())
                .topLogprobs(gptq.topLogprobs())
                .parallelToolCalls(gptq.parallelToolCalls())
                .build();
        planner.validate(defaultRequestParameters);
        this.listeners = copy(builder.listeners);
        Set<Capability> capabilities = new HashSet<>(copy(builder.supportedCapabilities));
        capabilities.add(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
        this.supportedCapabilities = Set.copyOf(capabilities);
        this.exchangeLog = new ExchangeLog(Boolean.TRUE.equals(builder.logRequests),
                Boolean.TRUE.equals(builder.logResponses), builder.logger, backend.tokenizer());
    }

    /** The chat template in use. */
    public ChatTemplate chatTemplate() {
        return planner.template();
    }

    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** The builder's sampling options and default parameters; each request may override them. */
    public GptqChatRequestParameters defaultRequestParameters() {
        return defaultRequestParameters;
    }

    public List<ChatModelListener> listeners() {
        return listeners;
    }

    public Set<Capability> supportedCapabilities() {
        return supportedCapabilities;
    }

    /**
     * A {@link dev.langchain4j.model.TokenCountEstimator} that counts with this model's tokenizer and chat
     * template, e.g. for {@code TokenWindowChatMemory}.
     */
    public GptqTokenCountEstimator tokenCountEstimator() {
        return new GptqTokenCountEstimator(backend.tokenizer(), planner.template());
    }

    /** Closes the engine if this model loaded it itself (the deprecated {@code modelPath}); a shared engine stays open. */
    public void close() {
        if (ownedEngine == null) return;
        try {
            ownedEngine.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the engine failed", e);
        }
    }

    /** Where a model's backend comes from, and whether the model owns (and closes) it. */
    record BackendSource(GenerationBackend backend, AutoCloseable owned) {}

    /**
     * The options both models share, in LangChain4j's style. Sampling options set here become the model's
     * {@code defaultRequestParameters}; each request may override them.
     */
    public abstract static class Builder<C extends GptqBaseChatModel, B extends Builder<C, B>> {
        protected GenerationBackend backend;
        protected ChatTemplate chatTemplate;
        protected String modelName;
        protected SamplingParameters samplingDefaults;
        protected GrammarLimits grammarLimits;
        protected TemplateLimits templateLimits;
        protected Integer maxContextTokens;
        protected Boolean parallelToolCalls;
        protected Boolean relaxRequiredToolChoice;
        protected ChatRequestParameters defaultRequestParameters;
        protected Double temperature;
        protected Double topP;
        protected Integer topK;
        protected Double minP;
        protected Double repetitionPenalty;
        protected Double frequencyPenalty;
        protected Double presencePenalty;
        protected Long seed;
        protected Integer maxOutputTokens;
        protected List<String> stopSequences;
        protected ToolChoice toolChoice;
        protected ResponseFormat responseFormat;
        protected List<ChatModelListener> listeners;
        protected Set<Capability> supportedCapabilities;
        protected Boolean logRequests;
        protected Boolean logResponses;
        protected Logger logger;

        @SuppressWarnings("unchecked")
        protected B self() {
            return (B) this;
        }

        /** Where the backend comes from; the engine-aware subclass decides. */
        BackendSource backendSource() {
            if (backend == null) {
                throw new IllegalStateException("set engine(Engine) before build()");
            }
            return new BackendSource(backend, null);
        }

        /** Uses a prepared backend (tests, and the engine-based setters). */
        B backend(GenerationBackend backend) {
            this.backend = backend;
            return self();
        }

        /** The chat template; default: the model folder's {@code chat_template}, else {@code raw}. */
        public B chatTemplate(ChatTemplate chatTemplate) {
            this.chatTemplate = chatTemplate;
            return self();
        }

        /** A built-in chat template by name: {@code llama2}, {@code firefly}, {@code chatml} or {@code raw}. */
        public B chatTemplate(String name) {
            return chatTemplate(ChatTemplates.named(name));
        }

        /**
         * The name reported in responses and accepted in requests; default: the repository id for a folder of the
         * Hub cache ({@code models--org--name/snapshots/{commit}}), else the model folder's name.
         */
        public B modelName(String modelName) {
            this.modelName = modelName;
            return self();
        }

        /**
         * The sampling settings a request starts from before its parameters apply; default
         * {@link SamplingParameters#modelCardDefaults()}. Its stop token ids are kept in addition to the
         * template's end-of-turn tokens.
         */
        public B samplingDefaults(SamplingParameters samplingDefaults) {
            this.samplingDefaults = samplingDefaults;
            return self();
        }

        /** Bounds for JSON output where the schema sets none; default {@link GrammarLimits#DEFAULT}. */
        public B grammarLimits(GrammarLimits grammarLimits) {
            this.grammarLimits = grammarLimits;
            return self();
        }

        /**
         * Bounds on loading and rendering the model folder's own Jinja {@code chat_template} (time, output, nesting,
         * values, source length); default {@link TemplateLimits#DEFAULT}. For a {@link ChatTemplate} given to
         * {@link #chatTemplate(ChatTemplate)}, its own limits apply.
         */
        public B templateLimits(TemplateLimits templateLimits) {
            this.templateLimits = templateLimits;
            return self();
        }

        /** Caps prompt plus answer below the model's context window (e.g. to bound KV-cache use). */
        public B maxContextTokens(Integer maxContextTokens) {
            this.maxContextTokens = maxContextTokens;
            return self();
        }

        /**
         * Whether one answer may hold several tool calls (up to 4); default {@code true}, as with OpenAI and Ollama.
         * {@code false}: one call per answer, which keeps small models from spending their context on repeated
         * calls.
         */
        public B parallelToolCalls(Boolean parallelToolCalls) {
            this.parallelToolCalls = parallelToolCalls;
            return self();
        }

        /**
         * Whether {@code toolChoice REQUIRED} is met once the last message is a tool result, so that the model may then
         * answer in text (as with {@code AUTO}); default {@code true}, so that an AiServices tool loop with REQUIRED
         * ends (AiServices never changes the tool choice itself). {@code false}: as at OpenAI, every answer under
         * REQUIRED is tool calls, also after a tool result.
         */
        public B relaxRequiredToolChoice(Boolean relaxRequiredToolChoice) {
            this.relaxRequiredToolChoice = relaxRequiredToolChoice;
            return self();
        }

        public B defaultRequestParameters(ChatRequestParameters defaultRequestParameters) {
            this.defaultRequestParameters = defaultRequestParameters;
            return self();
        }

        public B temperature(Double temperature) {
            this.temperature = temperature;
            return self();
        }

        public B topP(Double topP) {
            this.topP = topP;
            return self();
        }

        public B topK(Integer topK) {
            this.topK = topK;
            return self();
        }

        public B minP(Double minP) {
            this.minP = minP;
            return self();
        }

        public B repetitionPenalty(Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return self();
        }

        public B frequencyPenalty(Double frequencyPenalty) {
            this.frequencyPenalty = frequencyPenalty;
            return self();
        }

        public B presencePenalty(Double presencePenalty) {
            this.presencePenalty = presencePenalty;
            return self();
        }

        public B seed(Long seed) {
            this.seed = seed;
            return self();
        }

        public B maxOutputTokens(Integer maxOutputTokens) {
            this.maxOutputTokens = maxOutputTokens;
            return self();
        }

        public B stopSequences(List<String> stopSequences) {
            this.stopSequences = stopSequences;
            return self();
        }

        public B toolChoice(ToolChoice toolChoice) {
            this.toolChoice = toolChoice;
            return self();
        }

        public B responseFormat(ResponseFormat responseFormat) {
            this.responseFormat = responseFormat;
            return self();
        }

        public B listeners(List<ChatModelListener> listeners) {
            this.listeners = listeners;
            return self();
        }

        public B listeners(ChatModelListener... listeners) {
            return listeners(List.of(listeners));
        }

        /** Capabilities to declare besides {@code RESPONSE_FORMAT_JSON_SCHEMA}, which is always declared. */
        public B supportedCapabilities(Set<Capability> supportedCapabilities) {
            this.supportedCapabilities = supportedCapabilities;
            return self();
        }

        /**
         * Logs each request through SLF4J at INFO: the chat request, then the prompt the chat template rendered (token
         * count and text); default {@code false}. As {@code OllamaChatModel}'s option; nothing is redacted, as an
         * in-process model has no credentials: the log holds the conversation.
         */
        public B logRequests(Boolean logRequests) {
            this.logRequests = logRequests;
            return self();
        }

        /**
         * Logs each response through SLF4J at INFO (message, tool calls, usage, finish reason), and a stream's partial
         * responses at DEBUG; default {@code false}.
         */
        public B logResponses(Boolean logResponses) {
            this.logResponses = logResponses;
            return self();
        }

        /** The logger of {@link #logRequests} and {@link #logResponses}; default {@code org.gptq4j.langchain4j.ExchangeLog}. */
        public B logger(Logger logger) {
            this.logger = logger;
            return self();
        }

        public abstract C build();
    }
}
