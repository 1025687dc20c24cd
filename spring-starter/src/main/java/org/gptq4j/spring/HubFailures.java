package org.gptq4j.spring;

import java.util.List;
import org.gptq4j.hub.HubClient;
import org.gptq4j.hub.HubConfig;
import org.gptq4j.hub.HubException;
import org.gptq4j.hub.ModelRef;
import org.gptq4j.hub.RepoRefs;

/** Says which property a failed Hub download points at, and what would work instead. */
final class HubFailures {
    private static final String HUB = GptqHubProperties.PREFIX;

    private HubFailures() {}

    /**
     * @param hub the client that failed, still open: an unknown branch is answered with the repository's branches
     */
    static GptqPropertyException toPropertyException(HubException e, ModelRef ref, HubClient hub) {
        HubConfig config = hub.config();
        String inCache = inCache(config, ref);
        return switch (e.kind()) {
            case NOT_FOUND -> notFound(e, ref, hub, inCache);
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

    /** The Hub's 404 names what is missing ({@code X-Error-Code}): the revision is the branch property's fault. */
    private static GptqPropertyException notFound(HubException e, ModelRef ref, HubClient hub, String inCache) {
        if (e.missing().orElse(null) == HubException.Missing.REVISION) {
            return new GptqPropertyException(GptqChatModelProperties.BRANCH, ref.revision(), e.getMessage(),
                    "a branch, tag or commit of " + ref.repoId() + ": " + hubRefs(hub, ref) + "; " + inCache, e);
        }
        return new GptqPropertyException(GptqChatModelProperties.REPO, ref.repoId(), e.getMessage(),
                "an existing Hub repository id org/name holding a GPTQ Llama model, e.g."
                        + " TheBloke/firefly-llama2-7B-chat-GPTQ", e);
    }

    /** The branches and tags the Hub lists, or why they could not be listed (the cache's are named anyway). */
    private static String hubRefs(HubClient hub, ModelRef ref) {
        try {
            RepoRefs refs = hub.listRefs(ref.repoId());
            String tags = refs.tags().isEmpty() ? "" : ", tags " + String.join(", ", refs.tagNames());
            return "the Hub lists branches " + String.join(", ", refs.branchNames()) + tags;
        } catch (HubException | IllegalArgumentException unavailable) {
            return "the Hub's branch list could not be read (" + unavailable.getMessage() + "), see "
                    + hub.config().endpoint() + "/" + ref.repoId() + "/tree/main";
        }
    }

    private static String inCache(HubConfig config, ModelRef ref) {
        List<String> cached = GptqModelLoader.cachedBranches(config, ref);
        return cached.isEmpty() ? "none is in the cache " + config.cacheDir()
                : "the cache " + config.cacheDir() + " has " + String.join(", ", cached);
    }
}
