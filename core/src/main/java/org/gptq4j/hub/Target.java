package org.gptq4j.hub;

/**
 * What a request is about, for error messages: a repository at a revision, and a file in it (or {@code null} for
 * the repository's API answer); or, with {@code refs}, the repository's list of branches and tags.
 */
record Target(ModelRef ref, String file, boolean refs) {

    Target(ModelRef ref, String file) {
        this(ref, file, false);
    }

    static Target repo(ModelRef ref) {
        return new Target(ref, null);
    }

    /** The branches and tags of {@code ref}'s repository (its revision does not matter). */
    static Target refsOf(ModelRef ref) {
        return new Target(ref, null, true);
    }

    /** E.g. "file 'config.json' of TheBloke/x at revision main". */
    String describe() {
        if (refs) return "the branches and tags of repository " + ref.repoId();
        String at = ref.repoId() + " at revision " + ref.revision();
        return file == null ? "repository " + at : "file " + RepoPath.quoted(file) + " of " + at;
    }
}
