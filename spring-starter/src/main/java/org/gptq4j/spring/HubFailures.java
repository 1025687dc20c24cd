package org.gptq4j.spring;

import java.util.List;
import org.gptq4j.hub.HubConfig;
import org.gptq4j.hub.HubException;
import org.gptq4j.hub.ModelRef;

/** Says which property a failed Hub download points at, and what would work instead. */
final class HubFailures {
    private static final String HUB = GptqHubProperties.PREFIX;

    private HubFailures() {}

    static GptqPropertyException toPropertyException(HubException e, ModelRef ref, HubConfig config) {
        List<String> cached = GptqModelLoader.cachedBranches(config, ref);
        String inCache = cached.isEmpty() ? "none is in the cache " + config.cacheDir()
                : "the cache " + config.cacheDir() + " has " + String.join(", ", cached);
        return switch (e.kind()) {
            case NOT_FOUND -> notFound(e, ref, config, inCache);
            case OFFLINE_MISSING -> new GptqPropertyException(HUB + ".offline", true, e.getMessage(),
                    "false, to download " + ref + " from " + config.endpoint() + "; or keep true and point " + HUB
                            + ".cache-dir at a cache that holds it, or name a cached branch in "
                            + GptqChatModelProperties.BRANCH + " (" + inCache + ")", e);
            case UNAUTHORIZED -> new GptqPropertyException(HUB + ".token", config.hasToken() ? "<redacted>" : null,
                    e.getMessage(), "an access token with read permission on " + ref.repoId()
                            + " (or the HF_TOKEN environment variable)", e);
            case NETWORK -> new GptqPropertyException(HUB + ".endpoint", config.endpoint(), e.getMessage(),
                    "a reachable Hub; or " + HUB + ".offline=true to run from the cache (" + inCache + ")", e);
            default -> new GptqPropertyException(GptqChatModelProperties.REPO, ref.repoId(), e.getMessage(),
                    "a Hub repository whose files download intact, e.g. after clearing "
                            + config.cacheDir().resolve(ref.cacheFolderName()), e);
        };
    }

    /** The Hub answers 404 for an unknown repository and for an unknown revision; its message tells them apart. */
    private static GptqPropertyException notFound(HubException e, ModelRef ref, HubConfig config, String inCache) {
        String message = String.valueOf(e.getMessage());
        if (message.startsWith("revision ")) {
            return new GptqPropertyException(GptqChatModelProperties.BRANCH, ref.revision(), e.getMessage(),
                    "a branch, tag or commit of " + ref.repoId() + " (listed at " + config.endpoint() + "/"
                            + ref.repoId() + "/tree/main); " + inCache, e);
        }
        return new GptqPropertyException(GptqChatModelProperties.REPO, ref.repoId(), e.getMessage(),
                "an existing Hub repository id org/name holding a GPTQ Llama model, e.g."
                        + " TheBloke/firefly-llama2-7B-chat-GPTQ", e);
    }
}
