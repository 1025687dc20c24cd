package org.gptq4j.hub;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Downloads GPTQ Llama models from the Hugging Face Hub into the cache huggingface_hub uses, so that files fetched
 * by Python tools are reused here and the other way round.
 *
 * <pre>{@code
 * try (HubClient hub = HubClient.fromEnvironment()) {
 *     Path model = hub.download(ModelRef.parse("TheBloke/firefly-llama2-7B-chat-GPTQ:gptq-4bit-32g-actorder_True"),
 *                               new org.gptq4j.tools.ConsoleProgressBar(System.err)); // gptq4j-tools
 *     // model = .../snapshots/{commit}/ with config.json, tokenizer files and weights
 * }
 * }</pre>
 *
 * <p>A revision is resolved to its commit once, and every file is fetched at that commit, so a branch that moves
 * mid-download cannot mix two versions. A snapshot for a commit hash already complete on disk is used without any
 * network call; in offline mode (or when the Hub cannot be reached) {@code refs/{branch}} says which snapshot to use.
 * Instances are thread-safe; several clients or processes may download the same repository at once.
 */
public final class HubClient implements AutoCloseable {
    private final HubConfig config;
    private final HubHttp http;
    private final HubUrls urls;
    private final Retrier retrier;
    private final BlobDownloader blobs;

    public HubClient(HubConfig config) {
        this(config, Sleeper.REAL);
    }

    HubClient(HubConfig config, Sleeper sleeper) {
        this.config = Objects.requireNonNull(config);
        this.http = new HubHttp(config);
        this.urls = new HubUrls(config.endpoint());
        this.retrier = new Retrier(config.retry(), sleeper);
        this.blobs = new BlobDownloader(http, retrier, config);
    }

    /** A client configured from the process environment ({@link HubConfig#fromEnvironment}). */
    public static HubClient fromEnvironment() {
        return new HubClient(HubConfig.fromEnvironment(System.getenv()));
    }

    public HubConfig config() {
        return config;
    }

    /** {@link #download(ModelRef, DownloadListener)} without progress reports. */
    public Path download(ModelRef ref) {
        return download(ref, DownloadListener.NONE);
    }

    /**
     * Makes the model's files (see {@link ModelFiles}) present in the cache and returns their snapshot folder,
     * {@code {cache}/models--{org}--{name}/snapshots/{commit}}, ready to load.
     *
     * @throws HubException what went wrong, by {@link HubException#kind()}
     */
    public Path download(ModelRef ref, DownloadListener listener) {
        Objects.requireNonNull(listener, "listener");
        RepoCache cache = new RepoCache(config.cacheDir(), ref);
        if (ref.isCommitHash()) {
            Optional<Path> complete = completeSnapshot(cache, ref, ref.revision(), listener);
            if (complete.isPresent()) return complete.get();
        }
        if (config.offline()) return cachedSnapshot(cache, ref, listener, "offline mode (HF_HUB_OFFLINE) is on");
        RepoInfo info;
        try {
            info = repoInfo(ref);
        } catch (HubException e) {
            if (e.kind() != HubException.Kind.NETWORK) throw e;
            Optional<String> known = ref.isCommitHash() ? Optional.of(ref.revision()) : cache.readRef(ref.revision());
            return known.flatMap(commit -> completeSnapshot(cache, ref, commit, listener)).orElseThrow(() -> e);
        }
        cache.writeRef(ref.revision(), info.commit());
        ModelRef pinned = ref.withRevision(info.commit());
        ModelFiles.fetch(info.files(), new HubSource(cache, ref, pinned, listener));
        return cache.snapshot(info.commit());
    }

    /** The commit that {@code ref}'s revision points to now (or, offline, when last seen). */
    public String resolveCommit(ModelRef ref) {
        if (ref.isCommitHash()) return ref.revision();
        if (config.offline()) return cachedCommit(new RepoCache(config.cacheDir(), ref), ref, "offline mode is on");
        return repoInfo(ref).commit();
    }

    /** Every file of the revision (offline: of its cached snapshot), as repository paths. */
    public List<String> listFiles(ModelRef ref) {
        if (!config.offline()) return repoInfo(ref).files();
        RepoCache cache = new RepoCache(config.cacheDir(), ref);
        return cache.snapshotFiles(ref.isCommitHash() ? ref.revision() : cachedCommit(cache, ref, "offline mode is on"));
    }

    /**
     * The repository's branches and tags, with their commits ({@code GET api/models/{repo}/refs}). Needs the Hub:
     * offline it throws {@code OFFLINE_MISSING} (the cache's {@code refs/} folder names only what was resolved).
     *
     * @param repoId {@code org/name}
     * @throws IllegalArgumentException for a malformed {@code repoId}
     * @throws HubException {@code NOT_FOUND} (missing {@code REPOSITORY}) for an unknown repository, and as
     *                      {@link #download}
     */
    public RepoRefs listRefs(String repoId) {
        ModelRef repo = ModelRef.of(repoId);
        if (config.offline()) {
            throw new HubException(HubException.Kind.OFFLINE_MISSING, "offline mode (HF_HUB_OFFLINE) is on: the"
                    + " branches and tags of " + repoId + " can only be listed by the Hub");
        }
        Target target = Target.refsOf(repo);
        JsonNode answer = retrier.run("listing of " + target.describe(), () -> http.getJson(urls.refs(repoId), target));
        return RepoRefs.parse(answer, repo);
    }

    /** One file of the revision, into the cache; returns its path in the snapshot folder. */
    public Path downloadFile(ModelRef ref, String file, DownloadListener listener) {
        RepoPath.requireSafe(file, "the caller");
        RepoCache cache = new RepoCache(config.cacheDir(), ref);
        String commit = ref.isCommitHash() ? ref.revision() : null;
        if (commit != null) {
            Optional<Path> cached = cache.cachedFile(commit, file);
            if (cached.isPresent()) return cached.get();
        }
        if (config.offline()) {
            String known = commit != null ? commit : cachedCommit(cache, ref, "offline mode is on");
            return cache.cachedFile(known, file).orElseThrow(() -> offlineMissing(ref, cache,
                "missing " + file, "offline mode is on"));
        }
        if (commit == null) {
            commit = repoInfo(ref).commit();
            cache.writeRef(ref.revision(), commit);
        }
        return new HubSource(cache, ref, ref.withRevision(commit), listener).fetch(file);
    }

    private RepoInfo repoInfo(ModelRef ref) {
        Target target = Target.repo(ref);
        JsonNode answer = retrier.run("listing of " + target.describe(),
                () -> http.getJson(urls.revisionInfo(ref), target));
        return RepoInfo.parse(answer, target);
    }

    /** The snapshot a cached ref points to, if the model in it is complete. */
    private Path cachedSnapshot(RepoCache cache, ModelRef ref, DownloadListener listener, String why) {
        String commit = ref.isCommitHash() ? ref.revision() : cachedCommit(cache, ref, why);
        return completeSnapshot(cache, ref, commit, listener).orElseThrow(() -> offlineMissing(ref, cache,
                gap(cache, ref, commit), why));
    }

    private String cachedCommit(RepoCache cache, ModelRef ref, String why) {
        return cache.readRef(ref.revision()).orElseThrow(() -> new HubException(HubException.Kind.OFFLINE_MISSING,
                why + ", and the cache " + cache.root() + " does not know revision " + RepoPath.quoted(ref.revision())
                        + " of " + ref.repoId() + " (no refs/" + ref.revision() + "). Download it once online,"
                        + " e.g. with `gptq4j download --model " + ref + "`."));
    }

    /**
     * The snapshot folder when it holds every file the model needs (judged from its own files, as the Hub's listing
     * is not at hand), reporting each to the listener; empty when something is missing.
     */
    private Optional<Path> completeSnapshot(RepoCache cache, ModelRef ref, String commit, DownloadListener listener) {
        CacheSource source = new CacheSource(cache, ref, commit);
        List<String> files = cache.snapshotFiles(commit);
        if (files.isEmpty()) return Optional.empty();
        ModelFiles model;
        try {
            model = ModelFiles.fetch(files, source);
        } catch (HubException e) {
            if (e.kind() == HubException.Kind.INVALID_INPUT) throw e;
            return Optional.empty();
        }
        model.all().forEach(file -> listener.fileReady(file, source.fetch(file), false));
        return Optional.of(cache.snapshot(commit));
    }

    /** Why the cached snapshot is not usable, for an error message. */
    private static String gap(RepoCache cache, ModelRef ref, String commit) {
        List<String> files = cache.snapshotFiles(commit);
        if (files.isEmpty()) return "there is no snapshot " + commit;
        try {
            ModelFiles.fetch(files, new CacheSource(cache, ref, commit));
            return "nothing (it became complete meanwhile)";
        } catch (HubException e) {
            return e.getMessage();
        }
    }

    private static HubException offlineMissing(ModelRef ref, RepoCache cache, String gap, String why) {
        return new HubException(HubException.Kind.OFFLINE_MISSING, why + ", and the cache " + cache.root()
                + " lacks what " + ref + " needs: " + gap
                + ". Download it once online, e.g. with `gptq4j download --model " + ref + "`.");
    }

    @Override
    public void close() {
        http.close();
    }

    /** Files from a cached snapshot only; a missing one is an error, never a download. */
    private record CacheSource(RepoCache cache, ModelRef ref, String commit) implements ModelFiles.Source {
        @Override
        public Path fetch(String file) {
            return cache.cachedFile(commit, file).orElseThrow(() -> new HubException(
                    HubException.Kind.OFFLINE_MISSING, "missing " + file));
        }

        @Override
        public String describe() {
            return "the cached snapshot " + commit + " of " + ref.repoId();
        }
    }

    /** Files from the Hub at a pinned commit, each downloaded unless its snapshot entry already exists. */
    private final class HubSource implements ModelFiles.Source {
        private final RepoCache cache;
        private final ModelRef asked;
        private final ModelRef pinned;
        private final DownloadListener listener;

        HubSource(RepoCache cache, ModelRef asked, ModelRef pinned, DownloadListener listener) {
            this.cache = cache;
            this.asked = asked;
            this.pinned = pinned;
            this.listener = listener;
        }

        @Override
        public Path fetch(String file) {
            String commit = pinned.revision();
            Optional<Path> cached = cache.cachedFile(commit, file);
            if (cached.isPresent()) {
                listener.fileReady(file, cached.get(), false);
                return cached.get();
            }
            Target target = new Target(asked, file);
            FileMetadata meta;
            try {
                meta = retrier.run("metadata of " + target.describe(), () -> http.head(urls.resolve(pinned, file),
                        target));
            } catch (HubException e) {
                if (e.kind() == HubException.Kind.NOT_FOUND
                        && e.missing().orElse(HubException.Missing.FILE) == HubException.Missing.FILE) {
                    cache.markMissing(commit, file); // the file, not the repository or the commit, is missing
                }
                throw e;
            }
            if (!meta.commit().equals(commit)) {
                throw new HubException(HubException.Kind.PROTOCOL, "the Hub served " + target.describe()
                        + " from commit " + meta.commit() + " when asked for commit " + commit);
            }
            boolean downloaded = blobs.fetch(cache, meta, target, listener);
            Path path = cache.link(meta.etag(), commit, file);
            listener.fileReady(file, path, downloaded);
            return path;
        }

        @Override
        public String describe() {
            return asked.repoId() + " at revision " + asked.revision();
        }
    }

    /** The Hub's answer to {@code api/models/{repo}/revision/{revision}}: the commit and its files. */
    private record RepoInfo(String commit, List<String> files) {
        static RepoInfo parse(JsonNode answer, Target target) {
            String origin = "the Hub's listing of " + target.describe();
            String commit = RepoCache.requireCommit(answer.path("sha").asText(null), origin);
            JsonNode siblings = answer.get("siblings");
            if (siblings == null || !siblings.isArray()) {
                throw new HubException(HubException.Kind.PROTOCOL, origin + " has no 'siblings' list");
            }
            List<String> files = new ArrayList<>();
            for (JsonNode sibling : siblings) {
                String name = sibling.path("rfilename").asText(null);
                files.add(RepoPath.requireSafe(name, origin));
            }
            return new RepoInfo(commit, List.copyOf(files));
        }
    }
}
