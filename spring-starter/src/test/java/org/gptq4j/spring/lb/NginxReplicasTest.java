package org.gptq4j.spring.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.gptq4j.spring.drain.DrainTestApplication;
import org.gptq4j.spring.lb.Nginx.AccessLogLine;
import org.gptq4j.spring.lb.Nginx.Balancing;
import org.gptq4j.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two replicas of an application with the starter (two application contexts on their own loopback ports, each with
 * its own engine and prefix cache) behind a real nginx, configured as docs/serving.md shows:
 * <ul>
 *   <li>the same multi-turn load from several sessions, once with {@code hash $http_x_session_id consistent} and once
 *       round robin: session affinity gives the higher prefix-cache hit rate ({@code gptq.prefix.cache.hit.rate} of
 *       each replica in {@code /actuator/metrics}, weighted by its prompt tokens);</li>
 *   <li>one replica closed (the graceful drain, as on SIGTERM) in the middle of the load: the request it had accepted
 *       finishes there with 200, its sessions' new requests get its 503 and nginx retries them on the other replica,
 *       and, once it is gone, nginx sends them there; no client request fails.</li>
 * </ul>
 * Skipped, saying so, where nginx is not installed.
 */
class NginxReplicasTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Odd, so that round robin moves a session between replicas even when the sessions take turns in lockstep. */
    static final int SESSIONS = 5;
    /** Each session's first turn: different stories, so that sessions share no prefix but the chat template's. */
    static final String[] OPENINGS = {"Tom had a big red ball and a little dog named Max.",
            "Lily went to the park with her mom on a sunny day.", "Ben found a shiny blue stone near the old tree.",
            "Sue and her friend Tim wanted to bake a cake for Dad.", "A small bird lived in a nest on the roof."};
    static final String[] FOLLOW_UPS = {"What happened next?", "Then the sun went down and it was cold.",
            "Who came to help them?", "Why were they so happy?", "How did the day end?", "What did they learn?",
            "Tell me more about the dog."};

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final List<ConfigurableApplicationContext> replicas = new ArrayList<>();
    Nginx nginx;

    @BeforeEach
    void nginxInstalled() {
        Assumptions.assumeTrue(Nginx.executable().isPresent(), "nginx is not installed (Debian: apt-get install nginx):"
                + " the replicas-behind-a-load-balancer tests are skipped");
    }

    @AfterEach
    void stop() throws Exception {
        if (nginx != null) nginx.close();
        for (ConfigurableApplicationContext replica : replicas) {
            if (!replica.isActive()) continue;
            replica.getBean(DrainTestApplication.Gate.class).open();
            replica.close();
        }
    }

    private void startReplicas(Balancing balancing) throws Exception {
        for (int i = 0; i < 2; i++) {
            replicas.add(new SpringApplicationBuilder(DrainTestApplication.class).properties(
                    "server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
                    "langchain4j.gptq.threads=1", "langchain4j.gptq.kv-cache-memory=8MB",
                    "langchain4j.gptq.chat-model.model-path=" + Fixtures.model(Fixtures.STORIES, "main"),
                    "langchain4j.gptq.chat-model.max-new-tokens=8", "langchain4j.gptq.server.enabled=true",
                    "langchain4j.gptq.drain-timeout=20s", "management.endpoint.health.probes.enabled=true",
                    "management.endpoints.web.exposure.include=health,metrics").run());
        }
        nginx = Nginx.start(balancing, replicas.stream().map(NginxReplicasTest::port).toList());
    }

    private static int port(ConfigurableApplicationContext replica) {
        return Integer.parseInt(replica.getEnvironment().getProperty("local.server.port"));
    }

    private List<Conversation> conversations() {
        URI endpoint = URI.create(nginx.url("/v1/chat/completions"));
        return IntStream.range(0, SESSIONS).mapToObj(s -> new Conversation(endpoint, "session-" + s)).toList();
    }

    /** Every session says its next {@code turns} turns, the sessions concurrently; returns when all are done. */
    private static void turns(List<Conversation> conversations, int turns) throws Exception {
        try (ExecutorService clients = Executors.newFixedThreadPool(conversations.size())) {
            List<Future<?>> done = new ArrayList<>();
            for (int s = 0; s < conversations.size(); s++) {
                Conversation c = conversations.get(s);
                String opening = OPENINGS[s];
                done.add(clients.submit(() -> {
                    for (int t = 0; t < turns; t++) {
                        int said = c.statuses.size();
                        c.say(said == 0 ? opening : FOLLOW_UPS[(said - 1) % FOLLOW_UPS.length]);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
        }
    }

    private double metric(ConfigurableApplicationContext replica, String name) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(replica)
                + "/actuator/metrics/" + name)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("measurements").path(0).path("value").asDouble();
    }

    /** The replicas' prefix-cache hit rates, weighted by the prompt tokens each looked up. */
    private double aggregateHitRate(String label) throws Exception {
        double hits = 0, prompt = 0;
        for (ConfigurableApplicationContext replica : replicas) {
            double rate = metric(replica, "gptq.prefix.cache.hit.rate");
            double tokens = metric(replica, "gptq.tokens.prompt");
            System.out.printf("%s: replica :%d prefix hit rate %.3f over %.0f prompt tokens%n", label, port(replica),
                    rate, tokens);
            hits += rate * tokens;
            prompt += tokens;
        }
        return hits / prompt;
    }

    /** Two fresh replicas behind nginx, the multi-turn load, the aggregate hit rate; then all is stopped. */
    private double hitRateUnder(Balancing balancing, int turns) throws Exception {
        startReplicas(balancing);
        List<Conversation> conversations = conversations();
        turns(conversations, turns);
        for (Conversation c : conversations) assertThat(c.statuses).as(c.session).hasSize(turns).containsOnly(200);
        List<AccessLogLine> log = nginx.accessLog(SESSIONS * turns);
        assertThat(log).hasSize(SESSIONS * turns).allMatch(l -> l.status() == 200 && !l.retried());
        Map<String, Set<String>> replicasBySession = log.stream().collect(Collectors.groupingBy(AccessLogLine::session,
                Collectors.mapping(AccessLogLine::servedBy, Collectors.toSet())));
        System.out.printf("%s: replicas by session %s%n", balancing, replicasBySession);
        if (balancing == Balancing.SESSION_AFFINITY) {
            assertThat(replicasBySession.values()).as("each session on one replica").allMatch(r -> r.size() == 1);
        } else {
            assertThat(replicasBySession.values()).as("sessions moved between replicas").anyMatch(r -> r.size() == 2);
        }
        double rate = aggregateHitRate(balancing.name());
        stop();
        replicas.clear();
        nginx = null;
        return rate;
    }

    @Test
    void sessionAffinityKeepsThePrefixCacheHoterThanRoundRobin() throws Exception {
        int turns = 5;
        double affinity = hitRateUnder(Balancing.SESSION_AFFINITY, turns);
        double roundRobin = hitRateUnder(Balancing.ROUND_ROBIN, turns);
        System.out.printf("aggregate prefix-cache hit rate, %d sessions x %d turns: session affinity %.3f, round robin"
                + " %.3f%n", SESSIONS, turns, affinity, roundRobin);
        assertThat(affinity).isGreaterThan(roundRobin);
    }

    @Test
    void aReplicaDrainingMidLoadLosesNoRequest() throws Exception {
        startReplicas(Balancing.SESSION_AFFINITY);
        List<Conversation> conversations = conversations();
        turns(conversations, 2);
        String victimAddress = nginx.accessLog(SESSIONS * 2).stream().filter(l -> l.session().equals("session-0")).findFirst()
                .orElseThrow().servedBy();
        ConfigurableApplicationContext victim = replicas.stream()
                .filter(r -> victimAddress.equals("127.0.0.1:" + port(r))).findFirst().orElseThrow();
        String otherAddress = "127.0.0.1:" + port(replicas.stream().filter(r -> r != victim).findFirst().orElseThrow());
        DrainTestApplication.Gate gate = victim.getBean(DrainTestApplication.Gate.class);
        ApplicationAvailability availability = victim.getBean(ApplicationAvailability.class);

        // a request session-0's replica has accepted and is still running when its drain begins
        CompletableFuture<HttpResponse<String>> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return conversations.getFirst().send(Conversation.userMessage(DrainTestApplication.Gate.HOLD + " Tom"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(gate.held.tryAcquire(1, 30, TimeUnit.SECONDS)).as("the request reached session-0's replica").isTrue();
        CompletableFuture<Void> drain = CompletableFuture.runAsync(victim::close);
        await().atMost(Duration.ofSeconds(30)).until(() -> availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC);

        turns(conversations, 2); // while the victim drains: its sessions get its 503, nginx retries on the other
        assertThat(drain).as("the drain waits for the accepted request").isNotDone();
        gate.open();
        HttpResponse<String> finished = accepted.get(30, TimeUnit.SECONDS);
        assertThat(finished.statusCode()).as(finished.body()).isEqualTo(200);
        drain.get(30, TimeUnit.SECONDS);
        turns(conversations, 2); // the victim is gone

        for (Conversation c : conversations) assertThat(c.statuses).as(c.session).hasSize(6).containsOnly(200);
        List<AccessLogLine> log = nginx.accessLog(SESSIONS * 6 + 1);
        long completed = log.stream().filter(l -> l.status() == 200).count();
        List<AccessLogLine> retried = log.stream().filter(AccessLogLine::retried).toList();
        long failed = log.stream().filter(l -> l.status() != 200).count();
        System.out.printf("failover: %d requests through nginx, %d completed, %d retried on the other replica %s,"
                + " %d failed%n", log.size(), completed, retried.size(), retried, failed);
        assertThat(log).hasSize(SESSIONS * 6 + 1);
        assertThat(failed).isZero();
        assertThat(log.stream().filter(l -> l.session().equals("session-0")).skip(2).map(AccessLogLine::servedBy))
                .as("session-0's requests after its first two: the accepted one on its replica, four on the other")
                .containsExactlyInAnyOrder(victimAddress, otherAddress, otherAddress, otherAddress, otherAddress);
        assertThat(retried).as("a new request to the draining replica got 503 and was sent to the other")
                .isNotEmpty().allMatch(l -> l.upstreams().equals(List.of(victimAddress, otherAddress)));
        assertThat(retried.getFirst().upstreamStatuses()).containsExactly("503", "200");
    }
}
