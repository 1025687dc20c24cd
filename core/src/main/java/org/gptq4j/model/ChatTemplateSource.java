package org.gptq4j.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a model folder says about rendering chats: the Jinja {@code chat_template} source (from
 * {@code chat_template.jinja}, where newer transformers save it, else from {@code tokenizer_config.json}, a named
 * list taking its {@code default} entry) and the texts of its BOS and EOS tokens, which templates refer to as
 * {@code bos_token} and {@code eos_token}. Only read here; the adapter parses and sandboxes the template.
 *
 * @param template the template's source, if the folder declares one
 * @param bosToken the BOS token's text from {@code tokenizer_config.json}, or null
 * @param eosToken the EOS token's text from {@code tokenizer_config.json}, or null
 */
public record ChatTemplateSource(Optional<String> template, String bosToken, String eosToken) {

    /** A folder that declares nothing. */
    public static final ChatTemplateSource NONE = new ChatTemplateSource(Optional.empty(), null, null);

    /**
     * Reads {@code folder}'s {@code chat_template.jinja} and {@code tokenizer_config.json}, each bounded like every
     * config file.
     *
     * @throws ConfigException when a file is too large, unreadable or not JSON
     */
    public static ChatTemplateSource read(Path folder) {
        Path configFile = folder.resolve(ModelFolder.TOKENIZER_CONFIG);
        JsonNode config = Files.isRegularFile(configFile) ? JsonFiles.read(configFile) : null;
        String bos = tokenText(config, "bos_token"), eos = tokenText(config, "eos_token");
        Path jinjaFile = folder.resolve(ModelFolder.CHAT_TEMPLATE);
        if (Files.isRegularFile(jinjaFile)) return new ChatTemplateSource(Optional.of(JsonFiles.readText(jinjaFile)), bos, eos);
        return new ChatTemplateSource(declared(config == null ? null : config.get("chat_template")), bos, eos);
    }

    private static Optional<String> declared(JsonNode template) {
        if (template == null || template.isNull()) return Optional.empty();
        if (!template.isArray()) return Optional.of(template.asText());
        for (JsonNode named : template) { // named templates: take "default"
            if ("default".equals(named.path("name").asText())) return Optional.of(named.path("template").asText());
        }
        return Optional.empty();
    }

    private static String tokenText(JsonNode config, String key) {
        if (config == null || !config.has(key) || config.get(key).isNull()) return null;
        JsonNode token = config.get(key);
        return token.isTextual() ? token.asText() : token.path("content").asText(null);
    }
}
