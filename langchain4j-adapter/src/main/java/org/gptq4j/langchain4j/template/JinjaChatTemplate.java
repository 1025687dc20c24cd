package org.gptq4j.langchain4j.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gptq4j.tokenizer.Tokenizer;

/**
 * A model's own Hugging Face {@code chat_template} (Jinja2), rendered with Jinjava as transformers'
 * {@code apply_chat_template} does: {@code messages}, {@code tools}, {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token} and {@code raise_exception} are available, blocks are trimmed.
 *
 * <p>Special tokens come only from the template: every message text enters the template as an opaque
 * placeholder, the rendered text is split at the special tokens the template itself wrote, and the message
 * text is put back as plain text for {@link Tokenizer#encode}.
 */
public final class JinjaChatTemplate implements ChatTemplate {
    private static final char PLACEHOLDER_START = '\uE000';
    private static final char PLACEHOLDER_END = '\uE001';
    private static final List<String> END_OF_TURN_PIECES =
            List.of("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>");

    private static final String REFUSED = "chat template refused the conversation: ";

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    /**
     * @param source   the Jinja source of the template
     * @param bosToken the text of the BOS token, as {@code tokenizer_config.json} names it
     * @param eosToken the text of the EOS token
     */
    public JinjaChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
    }

    /** Called by templates as {@code raise_exception(message)}. */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(REFUSED + message);
    }

    @Override
    public String name() {
        return ChatTemplates.JINJA;
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    @Override
    public RenderedPrompt render(Conversation conversation, Tokenizer tokenizer) {
        List<String> texts = new ArrayList<>();
        List<Map<String, Object>> messages = new ArrayList<>();
        for (Turn turn : conversation.turns()) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", switch (turn.role()) {
                case SYSTEM -> "system";
                case USER -> "user";
                case ASSISTANT -> "assistant";
                case TOOL -> "tool";
            });
            message.put("content", placeholder(texts, turn.text()));
            if (turn.toolName() != null) message.put("name", turn.toolName());
            if (!turn.toolCalls().isEmpty()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolExecutionRequest call : turn.toolCalls()) {
                    calls.add(Map.of("id", call.id() == null ? "" : call.id(), "type", "function", "function",
                            Map.of("name", call.name(), "arguments", ToolCallSyntax.argumentsAsObject(call.arguments()))));
                }
                message.put("tool_calls", calls);
            }
            messages.add(message);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", messages);
        context.put("add_generation_prompt", true);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        if (!conversation.tools().isEmpty()) {
            context.put("tools", conversation.tools().stream()
                    .map(tool -> Map.of("type", "function", "function", ToolCallSyntax.toolMap(tool)))
                    .toList());
        }
        RenderResult result = jinjava.renderForResult(source, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw refusal(error.getException()).orElseGet(() ->
                        new IllegalArgumentException("chat template failed: " + error.getMessage(), error.getException()));
            }
        }
        return tokenize(result.getOutput(), texts, tokenizer);
    }

    /** The template's own {@code raise_exception(message)}, which Jinjava wraps, so that its message is not lost. */
    private static java.util.Optional<IllegalArgumentException> refusal(Throwable error) {
        for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof IllegalArgumentException e && e.getMessage() != null
                    && e.getMessage().startsWith(REFUSED)) {
                return java.util.Optional.of(e);
            }
        }
        return java.util.Optional.empty();
    }

    private static String placeholder(List<String> texts, String text) {
        texts.add(text);
        return PLACEHOLDER_START + Integer.toString(texts.size() - 1) + PLACEHOLDER_END;
    }

    private static RenderedPrompt tokenize(String rendered, List<String> texts, Tokenizer tokenizer) {
        List<String> specials = specialPieces(tokenizer);
        PromptWriter out = new PromptWriter(tokenizer);
        for (String piece : END_OF_TURN_PIECES) {
            if (specials.contains(piece)) out.stopAt(piece);
        }
        StringBuilder literal = new StringBuilder();
        int i = 0;
        outer:
        while (i < rendered.length()) {
            char c = rendered.charAt(i);
            if (c == PLACEHOLDER_START) {
                int end = rendered.indexOf(PLACEHOLDER_END, i);
                out.text(literal.toString());
                literal.setLength(0);
                out.text(texts.get(Integer.parseInt(rendered.substring(i + 1, end))));
                i = end + 1;
                continue;
            }
            for (String special : specials) {
                if (rendered.startsWith(special, i)) {
                    out.text(literal.toString());
                    literal.setLength(0);
                    out.special(special);
                    i += special.length();
                    continue outer;
                }
            }
            literal.append(c);
            i++;
        }
        out.text(literal.toString());
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
