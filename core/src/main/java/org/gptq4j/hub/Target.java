package org.gptq4j.hub;

/**
 * What a request is about, for error messages: a repository at a revision, and a file in it (or {@code null} for
 * the repository's API answer).
 */
record Target(ModelRef ref, String file) {

    static Target repo(ModelRef ref) {
        return new Target(ref, null);
    }

    /** E.g. "file 'config.json' of TheBloke/x at revision main". */
    String describe() {
        String at = ref.repoId() + " at revision " + ref.revision();
        return file == null ? "repository " + at : "file " + RepoPath.quoted(file) + " of " + at;
    }
}
