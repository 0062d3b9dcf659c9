package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.plugin.http.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad HTTP input against a one-node cluster: every bad request gets a 4xx JSON error and the node keeps serving.
 */
@Timeout(120)
class HttpBadInputTest {
    private static final int MAX_BODY = 2 << 20;

    @TempDir
    static Path dir;
    static TestCluster cluster;
    static String base;
    static HttpClient http;

    @BeforeAll
    static void start() throws IOException {
        cluster = new TestCluster(dir, 1, Duration.ofSeconds(5), MAX_BODY);
        cluster.awaitLeader(Duration.ofSeconds(20));
        base = "http://" + cluster.http("n1");
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    static HttpResponse<String> send(String method, String path, byte[] body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    /** The status is {@code status} and the body is {"error": "..."}. */
    static void assertError(int status, HttpResponse<String> r) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode n = Json.MAPPER.readTree(r.body());
        assertTrue(n.hasNonNull("error"), "error body: " + r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    }

    /** After every bad request the node must still serve a normal write and read. */
    static void assertHealthy() throws Exception {
        assertEquals(204, send("PUT", "/key/health", "ok").statusCode());
        HttpResponse<String> r = send("GET", "/key/health", (String) null);
        assertEquals(200, r.statusCode());
        assertEquals("ok", Json.MAPPER.readTree(r.body()).get("health").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "not json", "[1,2]", "{\"a\":1}", "{\"a\":\"x\"} trailing", "\"str\"", "{\"a\":{\"b\":\"c\"}}"})
    void malformedBatchBodiesAre400(String body) throws Exception {
        assertError(400, send("POST", "/key", body));
        assertHealthy();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "{\"expect\":\"a\"}", "{\"value\":\"a\"}", "{\"expect\":1,\"value\":\"a\"}",
            "{\"expect\":null,\"value\":[1]}", "{bad"})
    void malformedCasBodiesAre400(String body) throws Exception {
        assertError(400, send("POST", "/cas/k", body));
        assertHealthy();
    }

    @Test
    void casConflictIs409WithCurrentValue() throws Exception {
        assertEquals(204, send("PUT", "/key/casv", "one").statusCode());
        HttpResponse<String> r = send("POST", "/cas/casv", "{\"expect\":\"two\",\"value\":\"three\"}");
        assertEquals(409, r.statusCode());
        assertEquals("one", Json.MAPPER.readTree(r.body()).get("current").asText());
        HttpResponse<String> ok = send("POST", "/cas/casv", "{\"expect\":\"one\",\"value\":\"three\"}");
        assertEquals(200, ok.statusCode(), ok.body());
        HttpResponse<String> absent = send("POST", "/cas/nokey", "{\"expect\":\"x\",\"value\":\"y\"}");
        assertEquals(409, absent.statusCode());
        assertTrue(Json.MAPPER.readTree(absent.body()).get("current").isNull());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bogus", "LINEAR", "0", "stale2", ""})
    void invalidReadLevelIs400(String level) throws Exception {
        if (level.isEmpty()) {
            assertEquals(404, send("GET", "/key/absent?level=", (String) null).statusCode(), "empty = default level");
            return;
        }
        assertError(400, send("GET", "/key/k?level=" + level, (String) null));
        assertHealthy();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/keys/a", "/nope", "/status/extra", "/KEY/a", "/metrics2"})
    void unknownRoutesAre404(String path) throws Exception {
        assertError(404, send("GET", path, (String) null));
        assertHealthy();
    }

    @Test
    void wrongMethodsAre405() throws Exception {
        assertError(405, send("POST", "/key/a", "x"));
        assertError(405, send("PATCH", "/key/a", "x"));
        assertError(405, send("GET", "/key", (String) null));
        assertError(405, send("PUT", "/status", "x"));
        assertError(405, send("GET", "/cas/a", (String) null));
        assertError(405, send("DELETE", "/metrics", (String) null));
        assertError(405, send("GET", "/join", (String) null));
        assertHealthy();
    }

    @Test
    void oversizedInputIs413() throws Exception {
        byte[] key = new byte[4 * 1024 + 1];
        Arrays.fill(key, (byte) 'k');
        assertError(413, send("PUT", "/key/" + new String(key, StandardCharsets.US_ASCII), "v"));
        byte[] value = new byte[(1 << 20) + 1];
        assertError(413, send("PUT", "/key/big", value));
        // Body over the aggregator's limit: refused before it is buffered whole.
        assertError(413, send("PUT", "/key/huge", new byte[MAX_BODY + 1]));
        String batch = "{\"a\":\"" + "x".repeat((1 << 20) + 1) + "\"}";
        assertError(413, send("POST", "/key", batch));
        assertHealthy();
    }

    @Test
    void emptyKeyAndBadEncodingAre400() throws Exception {
        assertError(400, send("PUT", "/key/", "v"));
        // java.net.http refuses to send a bad escape, so write the request by hand.
        try (Socket s = new Socket()) {
            s.connect(cluster.nodes.get("n1").httpAddress(), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /key/%zz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 400", head);
        }
        assertHealthy();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(cluster.nodes.get("n1").httpAddress(), 2000);
            s.setSoTimeout(10_000);
            StringBuilder reqs = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                // A write (slow: goes through the log) then a route answered at once (fast): order must hold.
                reqs.append("PUT /key/pipe").append(i).append(" HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n")
                        .append(i)
                        .append("GET /nope").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            reqs.append("GET /key/pipe4?level=linearizable HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            s.getOutputStream().write(reqs.toString().getBytes(StandardCharsets.US_ASCII));
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            // Bodies have no trailing newline, so a status line may follow a body on the same line.
            List<String> statuses = java.util.regex.Pattern.compile("HTTP/1\\.1 \\d{3} [A-Za-z ]+?\r\n").matcher(all)
                    .results().map(m -> m.group().strip()).toList();
            List<String> expected = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                expected.add("HTTP/1.1 204 No Content");
                expected.add("HTTP/1.1 404 Not Found");
            }
            expected.add("HTTP/1.1 200 OK");
            assertEquals(expected, statuses, all);
            assertTrue(all.endsWith("{\"pipe4\":\"4\"}"), all);
        }
        assertHealthy();
    }

    @Test
    void badMembershipRequestsGetClearErrorsAndChangeNothing() throws Exception {
        String self = cluster.configs.get("n1").raftAddress();
        assertError(400, send("POST", "/join", "nope"));
        assertError(400, send("POST", "/join", "{\"id\":\"n4\"}"));
        assertError(400, send("POST", "/join", "{\"id\":\"n4\",\"addr\":\"no-port\"}"));
        assertError(400, send("POST", "/join", "{\"id\":\"n4\",\"addr\":\"127.0.0.1:7004\",\"http\":5}"));
        assertError(400, send("POST", "/join", "{\"id\":\"\",\"addr\":\"127.0.0.1:7004\"}"));
        // The id is taken at another address; the address is taken by another id.
        assertError(409, send("POST", "/join", "{\"id\":\"n1\",\"addr\":\"127.0.0.1:1\"}"));
        assertError(409, send("POST", "/join", "{\"id\":\"n9\",\"addr\":\"" + self + "\"}"));
        // Joining again as what one already is: idempotent.
        HttpResponse<String> again = send("POST", "/join", "{\"id\":\"n1\",\"addr\":\"" + self + "\"}");
        assertEquals(200, again.statusCode(), again.body());
        assertTrue(Json.MAPPER.readTree(again.body()).path("voter").asBoolean());
        assertError(400, send("POST", "/remove", "{}"));
        assertError(404, send("POST", "/remove", "{\"id\":\"n9\"}"));
        assertError(409, send("POST", "/remove", "{\"id\":\"n1\"}")); // the last voter
        assertError(400, send("POST", "/transfer-leader", "[1]"));
        assertError(404, send("POST", "/transfer-leader", "{\"id\":\"n9\"}"));
        assertError(405, send("GET", "/transfer-leader", (String) null));
        JsonNode status = Json.MAPPER.readTree(send("GET", "/status", (String) null).body());
        assertEquals(1, status.get("members").size(), status.toString());
        assertEquals("voter", status.get("members").get(0).get("role").asText());
        assertTrue(status.get("members").get(0).get("caughtUp").asBoolean(), status.toString());
        assertHealthy();
    }

    @Test
    void garbageBytesOnTheSocketGet4xxAndTheNodeSurvives() throws Exception {
        SplittableRandom random = new SplittableRandom(42);
        InetSocketAddress addr = cluster.nodes.get("n1").httpAddress();
        for (int round = 0; round < 20; round++) {
            byte[] junk = new byte[1 + random.nextInt(20_000)];
            random.nextBytes(junk);
            if (round % 4 == 0) {
                junk = ("GET /key/x HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            } else if (round % 4 == 1) {
                junk = ("GARBAGE\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            }
            try (Socket s = new Socket()) {
                s.connect(addr, 2000);
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                try {
                    out.write(junk);
                    out.flush();
                    s.shutdownOutput();
                } catch (IOException closedEarly) {
                    continue; // the server may close on the first bad bytes: that is fine
                }
                InputStream in = s.getInputStream();
                byte[] head = in.readNBytes(12);
                String status = new String(head, StandardCharsets.US_ASCII);
                assertTrue(head.length == 0 || status.startsWith("HTTP/1.1 4"), "round " + round + " (seed 42): " + status);
            } catch (java.net.SocketException reset) {
                // connection reset by the server after a bad request: acceptable
            }
        }
        assertHealthy();
    }

    @Test
    void statusDigestAndMetrics() throws Exception {
        assertHealthy();
        JsonNode s = Json.MAPPER.readTree(send("GET", "/status", (String) null).body());
        for (String field : new String[]{"id", "role", "term", "leader", "commitIndex", "appliedIndex", "lastLogIndex",
                "members", "snapshot"}) {
            assertTrue(s.has(field), "status has " + field + ": " + s);
        }
        assertEquals("leader", s.get("role").asText());
        assertEquals("n1", s.get("leader").asText());
        assertNotNull(s.get("members").get(0).get("http").asText());

        JsonNode d = Json.MAPPER.readTree(send("GET", "/digest", (String) null).body());
        assertEquals(64, d.get("digest").asText().length());

        HttpResponse<String> m = send("GET", "/metrics", (String) null);
        assertEquals(200, m.statusCode());
        String text = m.body();
        for (String metric : new String[]{"kv_http_requests_seconds_count", "raft_proposals_total", "raft_commits_total",
                "raft_apply_latency_seconds", "raft_fsync_latency_seconds", "raft_fsync_batch_entries",
                "raft_elections_total", "raft_term", "raft_role", "jvm_memory_used_bytes"}) {
            assertTrue(text.contains(metric), "metrics contain " + metric);
        }
        assertTrue(text.contains("route=\"/key/{key}\""), "HTTP timer tagged by route template");
    }
}
