package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /snapshot} and the snapshot part of {@code GET /status}, on one in-process node with the real
 * Chronicle log and FileSnapshotStore; automatic snapshots are off so that only the request takes them.
 */
class SnapshotHttpTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String address, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + address + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    @Timeout(90)
    void postSnapshot_isDurableBeforeTheAnswer_refusesWhenUpToDate_andStatusNamesIt() throws Exception {
        try (TestCluster c = new TestCluster(dir, 1, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES, 0, 2)) {
            c.configs.replaceAll((id, cfg) -> cfg.withSnapshotBytes(0));
            c.stop("n1");
            c.start("n1"); // with the byte trigger off as well
            c.awaitLeader(WAIT);
            String node = c.http("n1");
            assertEquals(0, c.client.status(node).path("snapshot").path("lastIncludedIndex").asLong());
            assertFalse(c.client.status(node).path("snapshot").has("bytes"), "no snapshot yet");

            for (int i = 0; i < 50; i++) {
                c.client.put("k" + i, "v".repeat(100));
            }
            c.client.batch(Map.of("a", "1", "b", "2"));
            long applied = c.client.status(node).path("appliedIndex").asLong();

            HttpResponse<String> r = send(node, "POST", "/snapshot");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode taken = json(r);
            assertTrue(taken.path("index").asLong() >= applied, r.body());
            assertTrue(taken.path("bytes").asLong() > 50 * 100, "52 keys, 50 of them with 100-byte values: " + r.body());
            assertTrue(taken.path("millis").asLong() >= 0, r.body());
            assertTrue(taken.path("term").asLong() >= 1, r.body());
            Instant.parse(taken.path("takenAt").asText());
            // Durable in the store before the answer: what is on disk now is that snapshot.
            assertEquals(taken.path("index").asLong(),
                    c.nodes.get("n1").raft().status().lastSnapshot().index());

            HttpResponse<String> again = send(node, "POST", "/snapshot");
            assertEquals(409, again.statusCode(), again.body());
            assertTrue(json(again).path("error").asText().contains("nothing applied since"), again.body());
            assertEquals(405, send(node, "GET", "/snapshot").statusCode());

            TestCluster.await(WAIT, "status shows the snapshot and the compacted log", () -> {
                JsonNode s = c.client.status(node).path("snapshot");
                return s.path("lastIncludedIndex").asLong() == taken.path("index").asLong()
                        && s.path("index").asLong() == taken.path("index").asLong()
                        && s.path("bytes").asLong() == taken.path("bytes").asLong()
                        && s.path("takenAt").asText().equals(taken.path("takenAt").asText())
                        && s.path("millis").asLong() == taken.path("millis").asLong()
                        && s.path("origin").asText().equals("taken");
            });

            // After a restart the status names the snapshot found on disk, with the file's time.
            c.stop("n1");
            c.start("n1");
            c.awaitLeader(WAIT);
            JsonNode loaded = c.client.status(node).path("snapshot");
            assertEquals("loaded", loaded.path("origin").asText(), loaded.toString());
            assertEquals(taken.path("index").asLong(), loaded.path("index").asLong());
            assertEquals(taken.path("bytes").asLong(), loaded.path("bytes").asLong());
            Instant.parse(loaded.path("takenAt").asText());
            assertEquals(Map.of("k7", "v".repeat(100)).get("k7"), c.client.get("k7", "stale").orElseThrow());
        }
    }
}
