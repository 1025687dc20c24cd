package org.gptq4j.langchain4j;

import static dev.langchain4j.internal.Utils.getOrDefault;

import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.gptq4j.langchain4j.constraint.GrammarConstraint;
import org.gptq4j.langchain4j.constraint.GrammarLimits;
import org.gptq4j.langchain4j.constraint.GrammarState;
import org.gptq4j.langchain4j.constraint.JsonGrammar;
import org.gptq4j.langchain4j.constraint.JsonGrammar.Frame;
import org.gptq4j.langchain4j.constraint.JsonSchemas;
import org.gptq4j.langchain4j.constraint.SchemaNode;
import org.gptq4j.langchain4j.constraint.TriggeredGrammarConstraint;
import org.gptq4j.langchain4j.constraint.VocabularyIndex;
import org.gptq4j.langchain4j.template.ChatTemplate;
import org.gptq4j.langchain4j.template.Conversation;
import org.gptq4j.langchain4j.template.RenderedPrompt;
import org.gptq4j.langchain4j.template.ToolCallSyntax;
import org.gptq4j.langchain4j.template.Turn;
import org.gptq4j.sampling.LogitsConstraint;
import org.gptq4j.sampling.SamplingParameters;

/**
 * Turns a {@link ChatRequest} (parameters already merged with the model's defaults) into a
 * {@link GenerationPlan}: validates it, renders the conversation, maps every parameter onto
 * {@link SamplingParameters} and builds the grammar for JSON output and tool calls. Everything a request can
 * do wrong is reported here, synchronously, on the caller's thread.
 */
final class RequestPlanner {
    /** The most tool calls one answer may hold when parallel tool calls are on. */
    static final int MAX_PARALLEL_TOOL_CALLS = 4;
    /** The most alternatives {@code topLogprobs} may ask for, as at OpenAI. */
    static final int MAX_TOP_LOGPROBS = 20;
    /** The largest {@code logitBias} value either way, as at OpenAI. */
    static final double MAX_LOGIT_BIAS = 100;

    private final GenerationBackend backend;
    private final ChatTemplate template;
    private final SamplingParameters samplingDefaults;
    private final String modelName;
    private final GrammarLimits grammarLimits;
    private final int contextLength;
    private final int maxToolCalls;
    private final boolean relaxRequiredToolChoice;

    RequestPlanner(GenerationBackend backend, ChatTemplate template, SamplingParameters samplingDefaults,
                   String modelName, GrammarLimits grammarLimits, Integer maxContextTokens, int maxToolCalls,
                   boolean relaxRequiredToolChoice) {
        this.backend = backend;
        this.template = template;
        this.samplingDefaults = samplingDefaults;
        this.modelName = modelName;
        this.grammarLimits = grammarLimits;
        this.maxToolCalls = maxToolCalls;
        this.relaxRequiredToolChoice = relaxRequiredToolChoice;
        this.contextLength = maxContextTokens == null
                ? backend.contextLength()
                : Math.min(maxContextTokens, backend.contextLength());
    }

    String modelName() {
        return modelName;
    }

    ChatTemplate template() {
        return template;
    }

    /** Checks the parameters that can be checked without messages (also used for a model's defaults). */
    void validate(ChatRequestParameters parameters) {
        if (parameters.modelName() != null && !parameters.modelName().equals(modelName)) {
            throw new UnsupportedFeatureException("modelName '" + parameters.modelName()
                    + "' is not supported: this model runs '" + modelName + "' in process");
        }
        toSampling(parameters, List.of()); // range checks
        if (parameters instanceof GptqChatRequestParameters g) {
            topLogprobs(g);
            logitBias(g);
        }
    }

    /** How many alternatives to record per token; -1: no log-probabilities. */
    private static int topLogprobs(GptqChatRequestParameters p) {
        Integer top = p.topLogprobs();
        if (top != null && (top < 0 || top > MAX_TOP_LOGPROBS)) {
            throw new InvalidRequestException("topLogprobs must be in [0, " + MAX_TOP_LOGPROBS + "], but was " + top);
        }
        if (!Boolean.TRUE.equals(p.logprobs())) {
            if (top != null && top > 0) throw new InvalidRequestException("topLogprobs needs logprobs set to true");
            return -1;
        }
        return top == null ? 0 : top;
    }

    private Map<Integer, Double> logitBias(GptqChatRequestParameters p) {
        Map<Integer, Double> bias = p.logitBias() == null ? Map.of() : p.logitBias();
        int vocabulary = backend.tokenizer().vocabSize();
        for (Map.Entry<Integer, Double> e : bias.entrySet()) {
            if (e.getKey() == null || e.getKey() < 0 || e.getKey() >= vocabulary) {
                throw new InvalidRequestException("logitBias token id " + e.getKey() + " is not in this model's"
                        + " vocabulary of " + vocabulary + " tokens");
            }
            if (e.getValue() == null || !(Math.abs(e.getValue()) <= MAX_LOGIT_BIAS)) {
                throw new InvalidRequestException("logitBias of token " + e.getKey() + " must be in [-" + (int) MAX_LOGIT_BIAS
                        + ", " + (int) MAX_LOGIT_BIAS + "], but was " + e.getValue());
            }
        }
        return bias;
    }

    GenerationPlan plan(ChatRequest request) {
        ChatRequestParameters parameters = request.parameters();
        validate(parameters);
        Conversation conversation = ConversationMapper.toConversation(request.messages(), parameters.toolSpecifications());
        RenderedPrompt prompt = template.render(conversation, new PromptBudgetTokenizer(backend.tokenizer(), contextLength));
        int room = contextLength - prompt.length();
        if (room < 1) throw noRoom(Integer.toString(prompt.length()), contextLength);
        SamplingParameters sampling = toSampling(parameters, List.copyOf(prompt.stopTokenIds()));
        sampling = sampling.toBuilder().maxNewTokens(Math.min(sampling.maxNewTokens(), room)).build();
        ToolMode toolMode = toolMode(parameters, conversation);
        LogitsConstraint constraint = constraint(parameters, toolMode, prompt, sampling.maxNewTokens());
        RequestLogits logits = null;
        if (parameters instanceof GptqChatRequestParameters g && RequestLogits.needed(logitBias(g), topLogprobs(g))) {
            java.util.Set<Integer> ends = new java.util.HashSet<>(sampling.stopTokenIds());
            ends.add(backend.tokenizer().eosId());
            logits = new RequestLogits(constraint, logitBias(g), topLogprobs(g), backend.tokenizer(), ends);
            constraint = logits;
        }
        return new GenerationPlan(prompt.tokenIds(), sampling, constraint, toolMode, modelName, logits);
    }

    /** The prompt-length error: {@code tokens} (a count, or "at least" one) leave no room for an answer. */
    static InvalidRequestException noRoom(String tokens, int contextLength) {
        return new InvalidRequestException("the prompt has " + tokens + " tokens, which leaves no room in the context"
                + " window of " + contextLength + " tokens");
    }

    private SamplingParameters toSampling(ChatRequestParameters p, List<Integer> stopTokenIds) {
        SamplingParameters.Builder b = samplingDefaults.toBuilder();
        if (p.temperature() != null) b.temperature(p.temperature());
        if (p.topP() != null) b.topP(p.topP());
        if (p.topK() != null) b.topK(p.topK());
        if (p.frequencyPenalty() != null) b.frequencyPenalty(p.frequencyPenalty());
        if (p.presencePenalty() != null) b.presencePenalty(p.presencePenalty());
        if (p.maxOutputTokens() != null) b.maxNewTokens(p.maxOutputTokens());
        if (!p.stopSequences().isEmpty()) b.stopSequences(p.stopSequences());
        if (p instanceof GptqChatRequestParameters g) {
            if (g.minP() != null) b.minP(g.minP());
            if (g.repetitionPenalty() != null) b.repetitionPenalty(g.repetitionPenalty());
            if (g.seed() != null) b.seed(g.seed());
        }
        List<Integer> stops = new ArrayList<>(samplingDefaults.stopTokenIds());
        stops.addAll(stopTokenIds);
        b.stopTokenIds(java.util.Set.copyOf(stops));
        return b.build();
    }

    /**
     * {@code REQUIRED} forces tool calls. With {@code relaxRequiredToolChoice} (the builder's default), once the last
     * turn is a tool result the requirement is met and the model may answer (as with {@code AUTO}), so that a tool
     * loop ends; without it, as at OpenAI, every answer is tool calls.
     */
    private ToolMode toolMode(ChatRequestParameters parameters, Conversation conversation) {
        if (parameters.toolSpecifications().isEmpty()) return ToolMode.NONE;
        ToolChoice choice = getOrDefault(parameters.toolChoice(), ToolChoice.AUTO);
        if (choice == ToolChoice.NONE) return ToolMode.NONE;
        if (choice == ToolChoice.REQUIRED) {
            List<Turn> turns = conversation.turns();
            boolean answeredByTool = !turns.isEmpty() && turns.getLast().role() == Turn.Role.TOOL;
            return answeredByTool && relaxRequiredToolChoice ? ToolMode.AUTO : ToolMode.REQUIRED;
        }
        return ToolMode.AUTO;
    }

    /** The most tool calls this answer may hold: the request's {@code parallelToolCalls}, else the model's. */
    private int maxToolCalls(ChatRequestParameters parameters) {
        Boolean parallel = parameters instanceof GptqChatRequestParameters g ? g.parallelToolCalls() : null;
        if (parallel == null) return maxToolCalls;
        return parallel ? MAX_PARALLEL_TOOL_CALLS : 1;
    }

    /** The answer's grammar; it closes its sentence within {@code maxTokens}, the answer's token budget. */
    private LogitsConstraint constraint(ChatRequestParameters parameters, ToolMode toolMode, RenderedPrompt prompt,
                                        int maxTokens) {
        SchemaNode json = jsonSchema(parameters.responseFormat());
        if (toolMode == ToolMode.NONE && json == null) return null;
        VocabularyIndex vocabulary = VocabularyIndex.of(backend.tokenizer());
        List<Frame> toolCalls = toolMode == ToolMode.NONE
                ? null
                : ToolCallSyntax.grammar(parameters.toolSpecifications(), grammarLimits, maxToolCalls(parameters));
        if (toolMode == ToolMode.REQUIRED) {
            return new GrammarConstraint(vocabulary, GrammarState.start(toolCalls), prompt.stopTokenIds(), maxTokens);
        }
        if (json == null) { // AUTO, free text or tool calls
            return new TriggeredGrammarConstraint(vocabulary, GrammarState.start(toolCalls), ToolCallSyntax.OPEN.charAt(0),
                    prompt.stopTokenIds(), maxTokens);
        }
        GrammarState start = toolCalls == null
                ? GrammarState.start(json)
                : GrammarState.startAny(List.of(toolCalls, List.of(JsonGrammar.value(json))));
        return new GrammarConstraint(vocabulary, start, prompt.stopTokenIds(), maxTokens);
    }

    private SchemaNode jsonSchema(ResponseFormat format) {
        if (format == null || format.type() != ResponseFormatType.JSON) return null;
        if (format.jsonSchema() == null || format.jsonSchema().rootElement() == null) {
            return JsonSchemas.anyObject(grammarLimits); // JSON mode means an object, as OpenAI's json_object
        }
        return JsonSchemas.from(format.jsonSchema().rootElement(), grammarLimits);
    }
}
