package org.gptq4j.spring;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The OpenAI-compatible HTTP API ({@code POST /v1/chat/completions}, {@code GET /v1/models}) over the chat model
 * beans, for Spring MVC applications. Every value is checked when bound; a bad one fails startup with a
 * {@link GptqPropertyException} naming the property.
 *
 * @param enabled        serve the OpenAI-compatible API
 * @param maxRequestSize the largest request body accepted; a larger one is answered 413 before more of it is read
 *                       (also for chunked bodies, which announce no length)
 * @param apiKeys        the API keys a client may send as {@code Authorization: Bearer <key>} (401 otherwise);
 *                       none: the API is open to anyone who can reach it (a warning is logged when the server is
 *                       not bound to a loopback address)
 * @param maxTokens      the most tokens one answer may have: a request asking for more ({@code max_tokens},
 *                       {@code max_completion_tokens}) is refused with 400, one asking for none gets at most this;
 *                       default: only the context window and {@code chat-model.max-new-tokens} bound it
 */
@ConfigurationProperties(GptqServerProperties.PREFIX)
public record GptqServerProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("4MB") DataSize maxRequestSize,
        List<String> apiKeys,
        Integer maxTokens) {

    public static final String PREFIX = GptqProperties.PREFIX + ".server";

    public GptqServerProperties {
        apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
        if (maxRequestSize == null || maxRequestSize.toBytes() < 1) {
            throw new GptqPropertyException(PREFIX + ".max-request-size", maxRequestSize,
                    "a request body needs at least one byte", "a positive size such as 4MB or 512KB");
        }
        for (String key : apiKeys) {
            if (key == null || key.isBlank()) {
                throw new GptqPropertyException(PREFIX + ".api-keys", "(a blank key)", "an API key must not be blank",
                        "a comma-separated list of non-blank keys, or unset for an open API");
            }
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new GptqPropertyException(PREFIX + ".max-tokens", maxTokens, "an answer needs at least one token",
                    "an integer >= 1, or unset for no cap beyond the context window");
        }
    }

    /** The keys are secrets: only their number is shown. */
    @Override
    public String toString() {
        return "GptqServerProperties[enabled=" + enabled + ", maxRequestSize=" + maxRequestSize + ", apiKeys="
                + apiKeys.size() + " (redacted), maxTokens=" + maxTokens + "]";
    }
}
