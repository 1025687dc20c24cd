package org.gptq4j.hub;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A Hugging Face Hub on loopback, serving repositories whose branches are folders (the fixture layout): the
 * revision and refs APIs, 404s typed by {@code X-Error-Code} ({@code RepoNotFound}, {@code RevisionNotFound},
 * {@code EntryNotFound}) as the real Hub sends them, {@code resolve/} with {@code X-Repo-Commit}, {@code ETag} (git blob SHA-1) and, for LFS files
 * ({@code *.safetensors}, {@code *.model}), a 302 to a second "CDN" server with {@code X-Linked-Etag} (SHA-256) and
 * {@code X-Linked-Size}. The CDN honours {@code Range}. Faults are queued with {@link #inject} and every request is
 * recorded.
 */
public final class FakeHub implements AutoCloseable {

    /** A request as the server saw it. */
    public record Seen(String server, String method, String path, String range, String authorization) {}

    /** What a queued fault does to the request it matches. */
    sealed interface Fault {
        /** Answers with this status (and headers) instead of the real response. */
        record Status(int status, Map<String, String> headers) implements Fault {}

        /** Sends the real headers, then only {@code bytes} bytes of the body, then drops the connection. */
        record CutAfter(long bytes) implements Fault {}

        /** Serves the content with one byte flipped. */
        record CorruptByte(long index) implements Fault {}

        /** Serves the content followed by extra bytes, announcing the larger length. */
        record Oversize(int extraBytes) implements Fault {}

        /** Sends the headers and some bytes, then waits without sending more. */
        record Stall(long bytes, long millis) implements Fault {}

        /** Sends the body one byte at a time, {@code millisPerByte} apart. */
        record Trickle(long millisPerByte) implements Fault {}

        /** Sends the content, then filler without end (up to {@link #ENDLESS_BYTES}), with no length announced. */
        record Endless() implements Fault {}

        /** Answers a GET with a 302 to {@code location} (faults other than {@link Status} spare HEADs). */
        record Redirect(String location) implements Fault {}
    }

    /** Where an "endless" body gives up, so that a client without a limit fails its checks instead of the disk. */
    static final long ENDLESS_BYTES = 64L << 20;

    private record QueuedFault(String server, Predicate<String> path, Fault fault) {}

    private final Map<String, Path> repos = new ConcurrentHashMap<>();
    private final Map<String, List<String>> extraListing = new ConcurrentHashMap<>();
    private final Map<String, String> extraIndexBody = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobsBySha = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<QueuedFault> faults = new ConcurrentLinkedQueue<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final HttpServer hub;
    private final HttpServer cdn;
    private volatile String requiredToken;
    private volatile long cdnDelayPerChunkMillis;
    private volatile boolean announceNoSize;
    private volatile boolean lfsOnHubHost;

    public FakeHub() {
        try {
            hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            cdn = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        hub.createContext("/", exchange -> handle("hub", exchange));
        cdn.createContext("/", exchange -> handle("cdn", exchange));
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    /** Serves {@code folder}'s subfolders as the branches of {@code repoId}. */
    public FakeHub serve(String repoId, Path folder) {
        repos.put(repoId, folder);
        return this;
    }

    /** Lists {@code name} as a file of every revision of {@code repoId}, without content. */
    FakeHub addListingEntry(String repoId, String name) {
        extraListing.computeIfAbsent(repoId, k -> new CopyOnWriteArrayList<>()).add(name);
        return this;
    }

    /** Serves {@code body} as {@code file} (a git file) in every revision. */
    FakeHub overrideFile(String file, String body) {
        extraIndexBody.put(file, body);
        return this;
    }

    /** Answers 401 unless the request carries {@code Authorization: Bearer {token}}. */
    FakeHub requireToken(String token) {
        this.requiredToken = token;
        return this;
    }

    /** Slows the CDN down, so that concurrent downloads overlap. */
    FakeHub slowCdn(long millisPerChunk) {
        this.cdnDelayPerChunkMillis = millisPerChunk;
        return this;
    }

    /**
     * Announces no size: {@code HEAD}s carry neither {@code Content-Length} nor {@code X-Linked-Size}, and bodies
     * are sent chunked.
     */
    FakeHub announceNoSize() {
        this.announceNoSize = true;
        return this;
    }

    /**
     * Serves LFS files as a mirror may: from the Hub's own host ({@code /lfs-store/{sha256}}), the {@code resolve/}
     * answer being an absolute redirect to that same host.
     */
    FakeHub lfsOnHubHost() {
        this.lfsOnHubHost = true;
        return this;
    }

    /** The URL the "CDN" serves {@code content} at (registered, so that a redirect there can fetch it). */
    URI cdnUrlOf(byte[] content) {
        String sha = sha256(content);
        blobsBySha.put(sha, content);
        return URI.create("http://127.0.0.1:" + cdn.getAddress().getPort() + "/repos/ab/cd/" + sha);
    }

    /** Queues {@code fault} for the next request to {@code server} ("hub" or "cdn") whose path matches. */
    FakeHub inject(String server, Predicate<String> path, Fault fault) {
        faults.add(new QueuedFault(server, path, fault));
        return this;
    }

    /** Drops the faults still queued. */
    FakeHub clearFaults() {
        faults.clear();
        return this;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    public List<Seen> requests() {
        return List.copyOf(seen);
    }

    List<Seen> requests(String server, String method, String pathPart) {
        return seen.stream().filter(s -> s.server.equals(server) && s.method.equals(method)
                && s.path.contains(pathPart)).toList();
    }

    /** The commit this fake assigns to a branch: SHA-1 of {@code "{repo}@{branch}"}. */
    static String commitOf(String repoId, String branch) {
        return hex("SHA-1", (repoId + "@" + branch).getBytes(StandardCharsets.UTF_8));
    }

    static String sha256(byte[] content) {
        return hex("SHA-256", content);
    }

    static String gitBlobSha1(byte[] content) {
        byte[] header = ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[header.length + content.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(content, 0, all, header.length, content.length);
        return hex("SHA-1", all);
    }

    static boolean isLfs(String file) {
        return file.endsWith(".safetensors") || file.endsWith(".model");
    }

    private void handle(String server, HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String rawPath = exchange.getRequestURI().getRawPath();
        Headers in = exchange.getRequestHeaders();
        seen.add(new Seen(server, method, rawPath, in.getFirst("Range"), in.getFirst("Authorization")));
        try (exchange) {
            Fault fault = takeFault(server, method, rawPath);
            if (fault instanceof Fault.Status(int status, Map<String, String> headers)) {
                headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
                exchange.sendResponseHeaders(status, -1);
                return;
            }
            if (fault instanceof Fault.Redirect(String location)) {
                exchange.getResponseHeaders().set("Location", location);
                exchange.sendResponseHeaders(302, -1);
                return;
            }
            if (server.equals("cdn") || rawPath.startsWith(LFS_STORE)) {
                serveCdn(exchange, rawPath, fault);
            } else if (requiredToken != null && !("Bearer " + requiredToken).equals(in.getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("X-Error-Code", "GatedRepo");
                exchange.sendResponseHeaders(401, -1);
            } else if (rawPath.startsWith("/api/models/") && rawPath.endsWith("/refs")) {
                serveRefs(exchange, rawPath);
            } else if (rawPath.startsWith("/api/models/")) {
                serveRevisionInfo(exchange, rawPath, fault);
            } else {
                serveResolve(exchange, rawPath, fault);
            }
        } catch (IOException | RuntimeException e) {
            // a deliberately cut connection, or the client went away
        }
    }

    private static final String LFS_STORE = "/lfs-store/";

    /** The first queued fault for this request; faults that spoil a body wait for a GET. */
    private Fault takeFault(String server, String method, String path) {
        for (QueuedFault queued : faults) {
            boolean applies = queued.fault instanceof Fault.Status || method.equals("GET");
            if (applies && queued.server.equals(server) && queued.path.test(path) && faults.remove(queued)) {
                return queued.fault;
            }
        }
        return null;
    }

    /** {@code /api/models/{org}/{name}/refs}: every branch folder, no tags, no converts. */
    private void serveRefs(HttpExchange exchange, String rawPath) throws IOException {
        String[] parts = rawPath.substring("/api/models/".length()).split("/");
        String repoId = parts[0] + "/" + parts[1];
        Path repo = repos.get(repoId);
        if (repo == null) {
            notFound(exchange, "RepoNotFound");
            return;
        }
        StringBuilder json = new StringBuilder("{\"branches\":[");
        List<String> names;
        try (Stream<Path> branches = Files.list(repo)) {
            names = branches.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            json.append(i == 0 ? "" : ",").append("{\"name\":\"").append(name).append("\",\"ref\":\"refs/heads/")
                    .append(name).append("\",\"targetCommit\":\"").append(commitOf(repoId, name)).append("\"}");
        }
        byte[] body = json.append("],\"converts\":[],\"tags\":[]}").toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }

    /** A 404 with the Hub's {@code X-Error-Code}. */
    private static void notFound(HttpExchange exchange, String errorCode) throws IOException {
        exchange.getResponseHeaders().set("X-Error-Code", errorCode);
        exchange.sendResponseHeaders(404, -1);
    }

    /** {@code /api/models/{org}/{name}/revision/{revision}}. */
    private void serveRevisionInfo(HttpExchange exchange, String rawPath, Fault fault) throws IOException {
        String[] parts = rawPath.substring("/api/models/".length()).split("/");
        String repoId = parts[0] + "/" + parts[1];
        Branch branch = branch(exchange, repoId, decode(parts[3]));
        if (branch == null) return;
        StringBuilder json = new StringBuilder("{\"id\":\"" + repoId + "\",\"sha\":\"" + branch.commit
                + "\",\"siblings\":[");
        List<String> files = new ArrayList<>(branch.files());
        files.addAll(extraListing.getOrDefault(repoId, List.of()));
        for (int i = 0; i < files.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"rfilename\":\"").append(files.get(i).replace("\\", "\\\\"))
                    .append("\"}");
        }
        byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        sendContent(exchange, body, 0, fault, 0);
    }

    /** {@code /{org}/{name}/resolve/{revision}/{file}}. */
    private void serveResolve(HttpExchange exchange, String rawPath, Fault fault) throws IOException {
        String[] parts = rawPath.substring(1).split("/", 5);
        if (parts.length < 5 || !parts[2].equals("resolve")) {
            exchange.sendResponseHeaders(404, -1);
            return;
        }
        String repoId = parts[0] + "/" + parts[1];
        Branch branch = branch(exchange, repoId, decode(parts[3]));
        if (branch == null) return;
        String file = decode(parts[4]);
        byte[] content = branch.content(file);
        if (content == null) {
            notFound(exchange, "EntryNotFound");
            return;
        }
        Headers out = exchange.getResponseHeaders();
        out.set("X-Repo-Commit", branch.commit);
        if (isLfs(file)) {
            String sha = sha256(content);
            blobsBySha.put(sha, content);
            String pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha + "\nsize "
                    + content.length + "\n";
            out.set("ETag", "\"" + gitBlobSha1(pointer.getBytes(StandardCharsets.UTF_8)) + "\"");
            out.set("X-Linked-Etag", "\"" + sha + "\"");
            if (!announceNoSize) out.set("X-Linked-Size", Long.toString(content.length));
            out.set("Location", lfsOnHubHost
                    ? "http://127.0.0.1:" + hub.getAddress().getPort() + LFS_STORE + sha
                    : "http://127.0.0.1:" + cdn.getAddress().getPort() + "/repos/ab/cd/" + sha
                            + "?response-content-disposition=attachment");
            exchange.sendResponseHeaders(302, -1);
            return;
        }
        out.set("ETag", "\"" + gitBlobSha1(content) + "\"");
        sendContent(exchange, content, 0, fault, 0);
    }

    /** {@code /repos/../{sha256}}, with {@code Range: bytes=N-}. */
    private void serveCdn(HttpExchange exchange, String rawPath, Fault fault) throws IOException {
        byte[] content = blobsBySha.get(rawPath.substring(rawPath.lastIndexOf('/') + 1));
        if (content == null) {
            exchange.sendResponseHeaders(404, -1);
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        long from = range == null ? 0 : Long.parseLong(range.replaceAll("bytes=(\\d+)-.*", "$1"));
        if (from >= content.length) {
            exchange.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
            exchange.sendResponseHeaders(416, -1);
            return;
        }
        if (range != null) {
            exchange.getResponseHeaders().set("Content-Range",
                    "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        sendContent(exchange, content, (int) from, fault, cdnDelayPerChunkMillis);
    }

    private void sendContent(HttpExchange exchange, byte[] content, int from, Fault fault, long delayPerChunk)
            throws IOException {
        byte[] body = java.util.Arrays.copyOfRange(content, from, content.length);
        if (fault instanceof Fault.CorruptByte(long index)) body[(int) (index - from)] ^= 0x5a;
        if (fault instanceof Fault.Oversize(int extra)) body = java.util.Arrays.copyOf(body, body.length + extra);
        long send = body.length;
        if (fault instanceof Fault.CutAfter(long bytes)) send = Math.min(send, bytes);
        if (fault instanceof Fault.Stall(long bytes, long millis)) send = Math.min(send, bytes);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        if (head) {
            if (!announceNoSize) exchange.getResponseHeaders().set("Content-Length", Long.toString(body.length));
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        boolean chunked = announceNoSize || fault instanceof Fault.Endless;
        exchange.sendResponseHeaders(from > 0 ? 206 : 200, chunked ? 0 : body.length);
        OutputStream out = exchange.getResponseBody();
        if (fault instanceof Fault.Trickle(long millisPerByte)) {
            for (byte b : body) {
                out.write(b);
                out.flush();
                sleep(millisPerByte);
            }
            return;
        }
        if (fault instanceof Fault.Endless) {
            out.write(body);
            byte[] filler = new byte[64 * 1024];
            for (long sent = body.length; sent < ENDLESS_BYTES; sent += filler.length) out.write(filler);
            return;
        }
        int chunk = 32 * 1024;
        for (int off = 0; off < send; off += chunk) {
            out.write(body, off, (int) Math.min(chunk, send - off));
            out.flush();
            sleep(delayPerChunk);
        }
        if (fault instanceof Fault.Stall(long bytes, long millis)) sleep(millis);
        if (send < body.length) throw new IOException("connection cut on purpose"); // close() drops it
    }

    private Branch branch(HttpExchange exchange, String repoId, String revision) throws IOException {
        Path repo = repos.get(repoId);
        if (repo == null) {
            notFound(exchange, "RepoNotFound");
            return null;
        }
        try (Stream<Path> branches = Files.list(repo)) {
            for (Path folder : branches.filter(Files::isDirectory).toList()) {
                String name = folder.getFileName().toString();
                String commit = commitOf(repoId, name);
                if (name.equals(revision) || commit.equals(revision)) return new Branch(folder, commit);
            }
        }
        notFound(exchange, "RevisionNotFound");
        return null;
    }

    private final class Branch {
        final Path folder;
        final String commit;

        Branch(Path folder, String commit) {
            this.folder = folder;
            this.commit = commit;
        }

        List<String> files() throws IOException {
            try (Stream<Path> walk = Files.walk(folder)) {
                List<String> files = new ArrayList<>(walk.filter(Files::isRegularFile)
                        .map(p -> folder.relativize(p).toString().replace('\\', '/')).sorted().toList());
                extraIndexBody.keySet().stream().filter(f -> !files.contains(f)).forEach(files::add);
                return files;
            }
        }

        byte[] content(String file) throws IOException {
            if (extraIndexBody.containsKey(file)) return extraIndexBody.get(file).getBytes(StandardCharsets.UTF_8);
            Path path = folder.resolve(file).normalize();
            return path.startsWith(folder) && Files.isRegularFile(path) ? Files.readAllBytes(path) : null;
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static void sleep(long millis) {
        if (millis <= 0) return;
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String hex(String algorithm, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
        executor.shutdownNow();
    }
}
