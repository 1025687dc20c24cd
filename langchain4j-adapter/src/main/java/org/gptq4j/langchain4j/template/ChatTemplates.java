package org.gptq4j.langchain4j.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

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
     * The Jinja template a model folder declares, if any, bounded by {@code limits}.
     *
     * @throws ChatTemplateException if the template is refused (too long, too deep, does not parse, reads files)
     */
    public static Optional<ChatTemplate> declaredIn(Path folder, TemplateLimits limits) {
        try {
            JsonNode config = null;
            Path configFile = folder.resolve("tokenizer_config.json");
            if (Files.isRegularFile(configFile)) config = new ObjectMapper().readTree(configFile.toFile());
            String bos = tokenText(config, "bos_token");
            String eos = tokenText(config, "eos_token");
            Path jinjaFile = folder.resolve("chat_template.jinja");
            if (Files.isRegularFile(jinjaFile)) {
                return Optional.of(new JinjaChatTemplate(Files.readString(jinjaFile), bos, eos, limits));
            }
            JsonNode template = config == null ? null : config.get("chat_template");
            if (template == null || template.isNull()) return Optional.empty();
            if (template.isArray()) { // named templates: take "default"
                for (JsonNode named : template) {
                    if ("default".equals(named.path("name").asText())) {
                        return Optional.of(new JinjaChatTemplate(named.path("template").asText(), bos, eos, limits));
                    }
                }
                return Optional.empty();
            }
            return Optional.of(new JinjaChatTemplate(template.asText(), bos, eos, limits));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the chat template of " + folder, e);
        }
    }

    private static String tokenText(JsonNode config, String key) {
        if (config == null || !config.has(key) || config.get(key).isNull()) return null;
        JsonNode token = config.get(key);
        return token.isTextual() ? token.asText() : token.path("content").asText(null);
    }
}
