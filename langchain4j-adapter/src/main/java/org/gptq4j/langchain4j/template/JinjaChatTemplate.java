package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gptq4j.langchain4j.template.TemplateLimitException.Limit;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * A model's own Hugging Face {@code chat_template} (Jinja2), rendered with Jinjava as transformers'
 * {@code apply_chat_template} does: {@code messages}, {@code tools}, {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token} and {@code raise_exception} are available, blocks are trimmed.
 *
 * <p>Special tokens come only from the template: every string that reaches it from a message (its text, a tool
 * call's id, name and arguments, a tool result's name) or a tool specification (name, description, parameter
 * schema, keys included) enters the template as an opaque placeholder ({@link TextPlaceholders}); the rendered text
 * is split at the special tokens the template itself wrote, and those strings are put back as plain text for
 * {@link Tokenizer#encode}. Only the roles, {@code "function"} and the BOS and EOS texts are the template's to
 * compare; a test on a placeholder (its length, {@code startsWith}, equality) does not see the text.
 *
 * <p>The template comes with the model and is treated as hostile: it runs in a {@link JinjaSandbox} (no file,
 * class-path resource or other template can be read, no Java method but a few that only read), and loading and
 * rendering it are bounded by {@link TemplateLimits}. Whatever the template does, {@link #render} returns a prompt or
 * throws a {@link ChatTemplateException} (a {@link TemplateLimitException} for a bound), and nothing of the render
 * runs on after it returns.
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private static final List<String> END_OF_TURN_PIECES =
            List.of("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>");

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final TemplateLimits limits;
    private final Jinjava jinjava;

    /** A template with {@link TemplateLimits#DEFAULT}. */
    public JinjaChatTemplate(String source, String bosToken, String eosToken) {
        this(source, bosToken, eosToken, TemplateLimits.DEFAULT);
    }

    /**
     * Checks the template: its length, its nesting and its syntax, and that it uses only what the sandbox allows.
     *
     * @param source   the Jinja source of the template
     * @param bosToken the text of the BOS token, as {@code tokenizer_config.json} names it
     * @param eosToken the text of the EOS token
     * @param limits   the bounds of loading and rendering it
     * @throws ChatTemplateException if the template is refused ({@link TemplateLimitException} for a bound)
     */
    public JinjaChatTemplate(String source, String bosToken, String eosToken, TemplateLimits limits) {
        this.source = source == null ? "" : source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.limits = limits;
        this.jinjava = JinjaSandbox.create(limits);
        check();
    }

    @Override
    public String name() {
        return ChatTemplates.JINJA;
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    /** The bounds of this template's renders. */
    public TemplateLimits limits() {
        return limits;
    }

    /** At load: the source is refused if it is too long, nests too deep, does not parse or uses what it may not. */
    private void check() {
        if (source.length() > limits.maxTemplateLength()) {
            throw new TemplateLimitException(Limit.MAX_TEMPLATE_LENGTH, limits.maxTemplateLength() + " characters",
                    "the template has " + source.length());
        }
        JinjavaConfig config = jinjava.getGlobalConfig();
        JinjavaInterpreter interpreter = new JinjavaInterpreter(jinjava,
                new Context(jinjava.getGlobalContextCopy(), Map.of(), config.getDisabled()), config);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            TemplateNesting.requireAtMost(limits.maxNestingDepth(), source, config, jinjava.getGlobalContext());
            interpreter.parse(source);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) { // Jinjava's token scanner throws for some malformed tags, e.g. "{%}"
            throw new ChatTemplateException("chat template does not parse: " + e.getMessage());
        } catch (StackOverflowError e) {
            throw outOfStack();
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        ChatTemplateException refused = JinjaErrors.firstFatal(interpreter.getErrorsCopy(), limits, null);
        if (refused != null) throw refused;
    }

    @Override
    public RenderedPrompt render(Conversation conversation, Tokenizer tokenizer) {
        TextPlaceholders texts = new TextPlaceholders();
        Map<String, Object> context = context(conversation, texts);
        String output;
        try (JinjaRender render = JinjaRender.start(limits, texts)) {
            RenderResult result;
            try {
                result = jinjava.renderForResult(source, context);
            } catch (StackOverflowError e) {
                throw render.fail(outOfStack());
            }
            if (render.failure() != null) throw render.failure();
            ChatTemplateException failed = JinjaErrors.firstFatal(result.getErrors(), limits, texts);
            if (failed != null) throw failed;
            output = result.getOutput();
        }
        if (texts.expandedLength(output, limits.maxOutputLength()) > limits.maxOutputLength()) {
            throw new TemplateLimitException(Limit.MAX_OUTPUT_LENGTH, limits.maxOutputLength() + " characters",
                    "the rendered prompt is longer");
        }
        return tokenize(output, texts, tokenizer);
    }

    /** What the template sees: the conversation, each of its strings a placeholder. */
    private Map<String, Object> context(Conversation conversation, TextPlaceholders texts) {
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Turn turn : conversation.turns()) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", switch (turn.role()) {
                case SYSTEM -> "system";
                case USER -> "user";
                case ASSISTANT -> "assistant";
                case TOOL -> "tool";
            });
            message.put("content", texts.protect(turn.text()));
            if (turn.toolName() != null) message.put("name", texts.protect(turn.toolName()));
            if (!turn.toolCalls().isEmpty()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolExecutionRequest call : turn.toolCalls()) {
                    Map<String, Object> function = new LinkedHashMap<>();
                    function.put("name", texts.protect(call.name() == null ? "" : call.name()));
                    function.put("arguments", texts.protectAll(ToolCallSyntax.argumentsAsObject(call.arguments())));
                    Map<String, Object> entry = new LinkedHashMap<>(); // in OpenAI's order, for tojson
                    entry.put("id", texts.protect(call.id() == null ? "" : call.id()));
                    entry.put("type", "function");
                    entry.put("function", function);
                    calls.add(entry);
                }
                message.put("tool_calls", List.copyOf(calls));
            }
            messages.add(message);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", List.copyOf(messages));
        context.put("add_generation_prompt", true);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        if (!conversation.tools().isEmpty()) {
            context.put("tools", conversation.tools().stream()
                    .map(tool -> {
                        Map<String, Object> entry = new LinkedHashMap<>(); // in the order transformers writes it
                        entry.put("type", "function");
                        entry.put("function", texts.protectAll(ToolCallSyntax.toolMap(tool)));
                        return entry;
                    })
                    .toList());
        }
        return context;
    }

    private TemplateLimitException outOfStack() {
        return new TemplateLimitException(Limit.MAX_NESTING_DEPTH, String.valueOf(limits.maxNestingDepth()),
                "the template nests deeper than this thread's stack allows");
    }

    private static RenderedPrompt tokenize(String rendered, TextPlaceholders texts, Tokenizer tokenizer) {
        List<String> specials = specialPieces(tokenizer);
        PromptWriter out = new PromptWriter(tokenizer);
        for (String piece : END_OF_TURN_PIECES) {
            if (specials.contains(piece)) out.stopAt(piece);
        }
        texts.write(rendered, specials, out);
        return out.toPrompt();
    }

    /** The spellings of the vocabulary's special tokens, longest first. */
    private static List<String> specialPieces(Tokenizer tokenizer) {
        List<String> pieces = new ArrayList<>();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (!tokenizer.isSpecial(id)) continue;
            String piece = tokenizer.piece(id);
            if (piece != null && piece.length() > 1 && !piece.startsWith("<0x")) pieces.add(piece);
        }
        pieces.sort(Comparator.comparingInt(String::length).reversed());
        return pieces;
    }
}
