package org.gptq4j.spring.lb;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real nginx (the Debian package) run unprivileged in front of replicas on loopback: its own nginx.conf, pid, logs
 * and temp paths in a temporary folder, in the foreground, on a free loopback port. The access log has one line per
 * client request: {@code status upstream_addr upstream_status session}, where a request nginx retried on another
 * replica lists both addresses and both statuses ({@code 127.0.0.1:A, 127.0.0.1:B 503, 200}).
 */
final class Nginx implements AutoCloseable {
    /** How the upstream picks a replica. */
    enum Balancing {
        /** By the X-Session-Id header, consistent hashing: a conversation stays on one replica. */
        SESSION_AFFINITY("hash $http_x_session_id consistent;"),
        /** nginx's default: each request to the next replica. */
        ROUND_ROBIN("");

        final String directive;

        Balancing(String directive) {
            this.directive = directive;
        }
    }

    private final Path dir;
    private final Process process;
    final int port;

    private Nginx(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** The nginx executable, if installed (Debian puts it in /usr/sbin, which a user's PATH may lack). */
    static Optional<Path> executable() {
        return Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)),
                        Stream.of("/usr/sbin", "/usr/local/sbin"))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "nginx")).filter(Files::isExecutable).findFirst();
    }

    /**
     * The upstream and server blocks in front of {@code replicaPorts}, as docs/serving.md shows them: a draining
     * replica's 503 (the request was not run) and a refused connection are retried on the other replica, POSTs
     * included ({@code non_idempotent}); streams are passed through unbuffered.
     */
    static String proxyConfig(Balancing balancing, int listenPort, List<Integer> replicaPorts) {
        String servers = replicaPorts.stream().map(p -> "        server 127.0.0.1:" + p + ";\n")
                .collect(Collectors.joining());
        return """
                    upstream chat {
                        %s
                %s    }
                    server {
                        listen 127.0.0.1:%d;
                        location / {
                            proxy_pass http://chat;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_next_upstream error timeout http_503 non_idempotent;
                            proxy_connect_timeout 2s;
                            proxy_read_timeout 60s;
                            proxy_buffering off;
                        }
                    }
                """.formatted(balancing.directive, servers, listenPort);
    }

    static Nginx start(Balancing balancing, List<Integer> replicaPorts) throws IOException, InterruptedException {
        Path nginx = executable().orElseThrow(() -> new IllegalStateException("nginx is not installed"));
        Path dir = Files.createTempDirectory("gptq4j-nginx", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x"))); // run as root, nginx's workers are another user
        int port = freeLoopbackPort();
        String conf = """
                worker_processes 1;
                daemon off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log notice;
                events { worker_connections 256; }
                http {
                    log_format lb '$status $upstream_addr $upstream_status $http_x_session_id';
                    access_log %1$s/access.log lb;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                %2$s}
                """.formatted(dir, proxyConfig(balancing, port, replicaPorts));
        Path confFile = dir.resolve("nginx.conf");
        Files.writeString(confFile, conf);
        Process process = new ProcessBuilder(nginx.toString(), "-p", dir.toString(), "-e", dir.resolve("error.log").toString(),
                "-c", confFile.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile())
                .start();
        Nginx started = new Nginx(dir, process, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!started.listening()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = started.log("error.log") + started.log("stdout.log");
                started.close();
                throw new IllegalStateException("nginx did not start on port " + port + ":\n" + log);
            }
            Thread.sleep(50);
        }
        return started;
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** One entry per client request nginx answered and has logged so far. */
    private List<AccessLogLine> loggedSoFar() throws IOException {
        Path log = dir.resolve("access.log");
        if (!Files.exists(log)) return List.of();
        return Files.readAllLines(log).stream().filter(l -> !l.isBlank()).map(AccessLogLine::parse).toList();
    }

    /**
     * The access log once it holds at least {@code requests} entries (or after 10 s, as it then is): nginx writes a
     * request's line in its log phase, after the response's last byte went out, so a client can hold its answer a
     * moment before the line is there.
     */
    List<AccessLogLine> accessLog(int requests) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<AccessLogLine> log = loggedSoFar();
        while (log.size() < requests && System.nanoTime() < deadline) {
            Thread.sleep(20);
            log = loggedSoFar();
        }
        return log;
    }

    private String log(String name) {
        try {
            Path file = dir.resolve(name);
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(" + name + " unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy(); // SIGTERM: nginx's fast shutdown
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * One access-log line: the status sent to the client, the replicas tried in order and what each answered
     * ({@code -} where none answered), and the session header.
     */
    record AccessLogLine(int status, List<String> upstreams, List<String> upstreamStatuses, String session) {
        static AccessLogLine parse(String line) {
            // "200 127.0.0.1:1, 127.0.0.1:2 503, 200 s1": the lists are ", "-separated
            String[] parts = line.replace(", ", ",").split(" ");
            if (parts.length != 4) throw new IllegalArgumentException("unexpected access log line: " + line);
            return new AccessLogLine(Integer.parseInt(parts[0]), List.of(parts[1].split(",")),
                    List.of(parts[2].split(",")), parts[3]);
        }

        /** Whether nginx sent the request to more than one replica. */
        boolean retried() {
            return upstreams.size() > 1;
        }

        /** The replica whose answer the client got. */
        String servedBy() {
            return upstreams.getLast();
        }
    }
}
