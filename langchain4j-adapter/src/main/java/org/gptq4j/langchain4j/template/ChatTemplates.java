package org.gptq4j.langchain4j.template;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.gptq4j.model.ChatTemplateSource;
import org.gptq4j.model.ModelFolder;

/** The built-in chat templates, selectable by name, and the one a model folder declares. */
public final class ChatTemplates {
    /** Llama-2-chat {@code [INST]}. */
    public static final String LLAMA_2 = "llama2";
    /** Firefly {@code <s>user</s>assistant</s>}. */
    public static final String FIREFLY = "firefly";
    /** ChatML {@code <|im_start|>role ... <|im_end|>}. */
    public static final String CHATML = "chatml";
    /** The raw {@code {prompt}} template: the messages' text as is. */
    public static final String RAW = "raw";
    /** A model folder's Jinja {@code chat_template}. */
    public static final String JINJA = "jinja";

    /** The names {@link #named} accepts. */
    public static final List<String> BUILT_IN = List.of(LLAMA_2, FIREFLY, CHATML, RAW);

    private ChatTemplates() {}

    /** A built-in template by name (case-insensitive; {@code llama-2-chat} and {@code llama2-chat} also name Llama-2). */
    public static ChatTemplate named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case LLAMA_2, "llama-2", "llama-2-chat", "llama2-chat" -> new Llama2ChatTemplate();
            case FIREFLY -> new FireflyChatTemplate();
            case CHATML -> new ChatMlTemplate();
            case RAW, "prompt" -> new RawPromptTemplate();
            default -> throw new IllegalArgumentException(
                    "unknown chat template '" + name + "'; built-in templates: " + BUILT_IN);
        };
    }

    /**
     * The one rule for which template a model uses: {@code chosen} if set (a property, a builder option), else the
     * template {@code model}'s folder declares (bounded by {@code limits}), else {@link #RAW}.
     *
     * @param chosen the template asked for, or null
     * @param model  the model folder, or null when unknown
     * @throws ChatTemplateException if the folder's template is refused (too long, too deep, does not parse)
     */
    public static ChatTemplate resolve(ChatTemplate chosen, ModelFolder model, TemplateLimits limits) {
        if (chosen != null) return chosen;
        if (model == null) return new RawPromptTemplate();
        return declaredIn(model.chatTemplate(), limits).orElseGet(RawPromptTemplate::new);
    }

    /**
     * The template of a model folder: the {@code chat_template} of its {@code tokenizer_config.json} (or of a
     * {@code chat_template.jinja} file) when present, otherwise the raw template.
     */
    public static ChatTemplate forModelFolder(Path folder) {
        return forModelFolder(folder, TemplateLimits.DEFAULT);
    }

    /** {@link #forModelFolder(Path)}, a Jinja template bounded by {@code limits}. */
    public static ChatTemplate forModelFolder(Path folder, TemplateLimits limits) {
        return declaredIn(folder, limits).orElseGet(RawPromptTemplate::new);
    }

    /** The Jinja template a model folder declares, if any, with {@link TemplateLimits#DEFAULT}. */
    public static Optional<ChatTemplate> declaredIn(Path folder) {
        return declaredIn(folder, TemplateLimits.DEFAULT);
    }

    /**
     * The Jinja template a model folder declares, if any, bounded by {@code limits}; the files are read by
     * {@link ChatTemplateSource#read}.
     *
     * @throws ChatTemplateException if the template is refused (too long, too deep, does not parse, reads files)
     * @throws org.gptq4j.model.ConfigException if a file is too large or not JSON
     */
    public static Optional<ChatTemplate> declaredIn(Path folder, TemplateLimits limits) {
        return declaredIn(ChatTemplateSource.read(folder), limits);
    }

    /** The Jinja template of a folder's {@link ChatTemplateSource}, if it declares one, bounded by {@code limits}. */
    public static Optional<ChatTemplate> declaredIn(ChatTemplateSource source, TemplateLimits limits) {
        return source.template().map(t -> new JinjaChatTemplate(t, source.bosToken(), source.eosToken(), limits));
    }
}
