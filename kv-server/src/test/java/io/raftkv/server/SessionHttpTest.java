package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvClientException;
import io.raftkv.plugin.http.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Client sessions over HTTP (thesis §6.3) on three in-process nodes: a repeated (session, seq) gets the first
 * answer's status and body on every node and changes nothing, the session layer's 410/400 answers, keep-alive and
 * close, survival across a snapshot and a restart, and {@link KvClient}'s retry of a write whose answer was lost.
 */
class SessionHttpTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HttpResponse<String> send(String node, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + node + path)).timeout(WAIT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String openSession(String node) throws Exception {
        HttpResponse<String> r = send(node, "POST", "/session", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = Json.MAPPER.readTree(r.body());
        assertEquals(3_600_000, j.get("timeoutMs").asLong(), r.body());
        return j.get("session").asText();
    }

    private static String[] in(String session, long seq, long acked) {
        return new String[]{"Raftkv-Session", session, "Raftkv-Seq", Long.toString(seq), "Raftkv-Acked", Long.toString(acked)};
    }

    @Test
    @Timeout(120)
    void aRetriedCasIsAnsweredOnceWithTheSameStatusAndBodyOnEveryNode() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(WAIT);
            String s = openSession(c.http("n1"));
            assertEquals(204, send(c.http("n1"), "PUT", "/key/counter", "0").statusCode());
            String cas = "{\"expect\":\"0\",\"value\":\"1\"}";
            HttpResponse<String> first = send(c.http("n1"), "POST", "/cas/counter", cas, in(s, 1, 1));
            assertEquals(200, first.statusCode(), first.body());
            for (String node : List.of("n2", "n3", "n1")) {
                HttpResponse<String> again = send(c.http(node), "POST", "/cas/counter", cas, in(s, 1, 1));
                assertEquals(first.statusCode(), again.statusCode(), node);
                assertEquals(first.body(), again.body(), node + ": a retry must read exactly like the first answer");
            }
            assertEquals(Optional.of("1"), c.client.get("counter", "linearizable"));

            // A CAS that failed keeps failing the same way when retried, even after the value changed since.
            String stale = "{\"expect\":\"0\",\"value\":\"9\"}";
            HttpResponse<String> refused = send(c.http("n2"), "POST", "/cas/counter", stale, in(s, 2, 2));
            assertEquals(409, refused.statusCode(), refused.body());
            assertEquals(204, send(c.http("n1"), "PUT", "/key/counter", "0").statusCode()); // now it would match
            HttpResponse<String> retried = send(c.http("n3"), "POST", "/cas/counter", stale, in(s, 2, 2));
            assertEquals(409, retried.statusCode());
            assertEquals(refused.body(), retried.body());
            assertEquals(Optional.of("0"), c.client.get("counter", "linearizable"));

            // Every write route takes the headers: a repeated put/delete/batch is not applied again either.
            assertEquals(204, send(c.http("n1"), "PUT", "/key/p", "a", in(s, 3, 3)).statusCode());
            assertEquals(204, send(c.http("n1"), "PUT", "/key/p", "b").statusCode());
            assertEquals(204, send(c.http("n2"), "PUT", "/key/p", "a", in(s, 3, 3)).statusCode());
            assertEquals(Optional.of("b"), c.client.get("p", "linearizable"), "the repeated put changed nothing");
            assertEquals(204, send(c.http("n1"), "POST", "/key", "{\"q\":\"1\"}", in(s, 4, 4)).statusCode());
            assertEquals(204, send(c.http("n1"), "DELETE", "/key/q", null, in(s, 5, 4)).statusCode());
            assertEquals(204, send(c.http("n3"), "POST", "/key", "{\"q\":\"1\"}", in(s, 4, 4)).statusCode());
            assertEquals(Optional.empty(), c.client.get("q", "linearizable"));
            c.awaitConverged(WAIT);
        }
    }

    @Test
    @Timeout(120)
    void theSessionLayersOwnAnswers() throws Exception {
        try (TestCluster c = new TestCluster(dir, 1, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(WAIT);
            String n = c.http("n1");
            String s = openSession(n);
            assertEquals("1", Json.MAPPER.readTree(send(n, "GET", "/status", null).body()).get("sessions").asText());

            HttpResponse<String> unknown = send(n, "PUT", "/key/k", "v", in("999999", 1, 1));
            assertEquals(410, unknown.statusCode(), unknown.body());
            assertTrue(Json.MAPPER.readTree(unknown.body()).get("error").asText().contains("unknown or expired"));
            assertEquals("999999", Json.MAPPER.readTree(unknown.body()).get("session").asText());

            assertEquals(204, send(n, "PUT", "/key/k", "v", in(s, 1, 0)).statusCode());
            assertEquals(204, send(n, "PUT", "/key/k", "w", in(s, 2, 2)).statusCode());
            HttpResponse<String> below = send(n, "PUT", "/key/k", "v", in(s, 1, 2));
            assertEquals(400, below.statusCode(), below.body());
            assertEquals("acknowledged", Json.MAPPER.readTree(below.body()).get("reason").asText());
            // The same, decided by the replicated table rather than the headers: seq 1 < acked 2 already applied.
            HttpResponse<String> stale = send(n, "PUT", "/key/k", "v", in(s, 1, 1));
            assertEquals(400, stale.statusCode(), stale.body());
            assertEquals(2, Json.MAPPER.readTree(stale.body()).get("floor").asLong());
            assertEquals(Optional.of("w"), c.client.get("k", "linearizable"));

            for (String[] bad : List.of(
                    new String[]{"Raftkv-Session", "abc", "Raftkv-Seq", "1"},
                    new String[]{"Raftkv-Session", s},
                    new String[]{"Raftkv-Seq", "3"},
                    new String[]{"Raftkv-Session", s, "Raftkv-Seq", "0"},
                    new String[]{"Raftkv-Session", s, "Raftkv-Seq", "3", "Raftkv-Acked", "-1"},
                    new String[]{"Raftkv-Session", "-4", "Raftkv-Seq", "3"})) {
                HttpResponse<String> r = send(n, "PUT", "/key/k", "x", bad);
                assertEquals(400, r.statusCode(), String.join(" ", bad) + " -> " + r.body());
                assertTrue(r.body().startsWith("{\"error\":"), r.body());
            }

            assertEquals(204, send(n, "POST", "/session/" + s + "/keepalive", null, "Raftkv-Acked", "3").statusCode());
            assertEquals(410, send(n, "POST", "/session/424242/keepalive", null).statusCode());
            assertEquals(400, send(n, "POST", "/session/xyz/keepalive", null).statusCode());
            assertEquals(405, send(n, "GET", "/session", null).statusCode());
            assertEquals(405, send(n, "GET", "/session/" + s, null).statusCode());
            assertEquals(204, send(n, "DELETE", "/session/" + s, null).statusCode());
            assertEquals(410, send(n, "DELETE", "/session/" + s, null).statusCode());
            assertEquals(410, send(n, "PUT", "/key/k", "v", in(s, 3, 3)).statusCode());
            // Without the headers a write is what it always was.
            assertEquals(204, send(n, "PUT", "/key/k", "plain").statusCode());
            assertEquals(Optional.of("plain"), c.client.get("k", "linearizable"));
            assertTrue(send(n, "GET", "/metrics", null).body().contains("raft_session_events_total{event=\"unknown_session\""));
        }
    }

    @Test
    @Timeout(180)
    void aSessionSurvivesASnapshotAndARestart() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(WAIT);
            String s = openSession(c.http("n1"));
            String cas = "{\"expect\":null,\"value\":\"1\"}";
            HttpResponse<String> first = send(c.http("n1"), "POST", "/cas/once", cas, in(s, 1, 1));
            assertEquals(200, first.statusCode(), first.body());
            c.awaitConverged(WAIT);
            assertEquals(200, send(c.http("n2"), "POST", "/snapshot", null).statusCode());
            c.stop("n2");
            c.start("n2"); // restores the table from its snapshot file
            c.awaitConverged(WAIT);
            TestCluster.await(WAIT, "n2 serves again", () -> c.client.status(c.http("n2")).path("appliedIndex").asLong() > 0);
            HttpResponse<String> again = send(c.http("n2"), "POST", "/cas/once", cas, in(s, 1, 1));
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(first.body(), again.body());
            assertEquals(Optional.of("1"), c.client.get("once", "linearizable"));
        }
    }

    @Test
    @Timeout(120)
    void kvClientResendsAWriteWhoseAnswerWasLostAndGetsItsOneAnswer() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(WAIT);
            c.client.put("counter", "0");
            try (DroppingProxy lossy = new DroppingProxy(c.http("n1"), "POST /cas/", 1);
                 KvClient kv = new KvClient(List.of(lossy.address(), c.http("n2"), c.http("n3")), Duration.ofSeconds(5), 9)) {
                kv.put("warm", "up"); // opens the session through the proxy
                KvClient.CasResult r = kv.cas("counter", "0", "1");
                assertEquals(1, lossy.dropped(), "the first answer must have been lost");
                assertTrue(r.swapped(), "the retry must report the first apply's answer (swapped), not a 409");
                assertEquals(Optional.of("1"), kv.get("counter", "linearizable"));
                assertTrue(kv.sessionId().isPresent());
                String metrics = send(c.http("n2"), "GET", "/metrics", null).body();
                assertTrue(metrics.matches("(?s).*raft_session_events_total\\{event=\"repeat\"[^}]*\\} [1-9].*"), metrics);
            }
            // The same loss without a session: the client cannot resend a CAS, and the write did happen.
            try (DroppingProxy lossy = new DroppingProxy(c.http("n1"), "POST /cas/", 1);
                 KvClient plain = new KvClient(List.of(lossy.address(), c.http("n2")), Duration.ofSeconds(5), 6,
                         false, KvClient.DEFAULT_RETRY_WINDOW)) {
                KvClientException e = assertThrows(KvClientException.class, () -> plain.cas("counter", "1", "2"));
                assertTrue(e.outcomeUnknown(), e.getMessage());
                assertEquals(Optional.of("2"), plain.get("counter", "linearizable"));
                assertTrue(plain.sessionId().isEmpty());
            }
        }
    }
}
