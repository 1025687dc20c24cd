package org.gptq4j.spring;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.gptq4j.hub.HubConfig;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How {@code langchain4j.gptq.chat-model.repo} is downloaded. Each setting left unset falls back to the environment
 * variable huggingface_hub reads (HF_ENDPOINT, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE, HF_TOKEN or the token file of
 * {@code huggingface-cli login}), so a cache shared with Python tools is found without configuration.
 *
 * @param endpoint the Hub; default: HF_ENDPOINT, else https://huggingface.co
 * @param cacheDir the huggingface_hub cache folder; default: HF_HUB_CACHE, else $HF_HOME/hub, else
 *                 ~/.cache/huggingface/hub
 * @param offline  use the cache only, never the network; default: HF_HUB_OFFLINE, else false
 * @param token    access token for private and gated repositories; default: HF_TOKEN, else the token file
 */
@ConfigurationProperties(GptqHubProperties.PREFIX)
public record GptqHubProperties(URI endpoint, Path cacheDir, Boolean offline, String token) {

    public static final String PREFIX = GptqProperties.PREFIX + ".hub";

    public GptqHubProperties {
        if (endpoint != null) {
            try {
                HubConfig.builder().endpoint(endpoint).build();
            } catch (IllegalArgumentException e) {
                throw new GptqPropertyException(PREFIX + ".endpoint", endpoint, e.getMessage(),
                        "an http(s) URL such as https://huggingface.co", e);
            }
        }
    }

    /** These settings over the environment's. */
    public HubConfig toHubConfig(Map<String, String> environment) {
        HubConfig.Builder builder = HubConfig.fromEnvironment(environment).toBuilder();
        if (endpoint != null) builder.endpoint(endpoint);
        if (cacheDir != null) builder.cacheDir(cacheDir);
        if (offline != null) builder.offline(offline);
        if (token != null) builder.token(token);
        return builder.build();
    }

    @Override
    public String toString() {
        return "GptqHubProperties[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", offline=" + offline
                + ", token=" + (token == null ? "unset" : "<redacted>") + "]";
    }
}
