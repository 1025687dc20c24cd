package org.gptq4j.spring;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The OpenAI-compatible HTTP API ({@code POST /v1/chat/completions}, {@code GET /v1/models}) over the chat model
 * beans, for Spring MVC applications.
 *
 * @param enabled serve the OpenAI-compatible API
 */
@ConfigurationProperties(GptqServerProperties.PREFIX)
public record GptqServerProperties(@DefaultValue("false") boolean enabled) {

    public static final String PREFIX = GptqProperties.PREFIX + ".server";
}
