package org.gptq4j.hub;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A repository's branches and tags, each with the commit it points to: the Hub's answer to
 * {@code GET api/models/{repo}/refs} ({@code {"branches":[{"name":…,"ref":…,"targetCommit":…}],"converts":[…],
 * "tags":[…]}}, as huggingface_hub's {@code list_repo_refs} reads it).
 *
 * @param branches the branches, in the Hub's order
 * @param tags     the tags, in the Hub's order
 */
public record RepoRefs(List<Ref> branches, List<Ref> tags) {

    /** A branch or tag and the commit it points to. */
    public record Ref(String name, String commit) {}

    public RepoRefs {
        branches = List.copyOf(branches);
        tags = List.copyOf(tags);
    }

    /** The branch names. */
    public List<String> branchNames() {
        return branches.stream().map(Ref::name).toList();
    }

    /** The tag names. */
    public List<String> tagNames() {
        return tags.stream().map(Ref::name).toList();
    }

    /** Reads the Hub's answer, checking every name as a revision and every commit as a hash. */
    static RepoRefs parse(JsonNode answer, ModelRef repo) {
        String origin = "the Hub's list of branches and tags of " + repo.repoId();
        JsonNode branches = answer.get("branches");
        if (branches == null || !branches.isArray()) {
            throw new HubException(HubException.Kind.PROTOCOL, origin + " has no 'branches' list");
        }
        JsonNode tags = answer.path("tags");
        return new RepoRefs(refs(branches, repo, origin), tags.isArray() ? refs(tags, repo, origin) : List.of());
    }

    private static List<Ref> refs(JsonNode list, ModelRef repo, String origin) {
        List<Ref> refs = new ArrayList<>();
        for (JsonNode item : list) {
            String name = item.path("name").asText(null);
            try {
                name = repo.withRevision(name).revision();
            } catch (IllegalArgumentException e) {
                throw new HubException(HubException.Kind.INVALID_INPUT, origin + " holds an invalid name: "
                        + e.getMessage());
            }
            refs.add(new Ref(name, RepoCache.requireCommit(item.path("targetCommit").asText(null), origin)));
        }
        return refs;
    }
}
