package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.plugin.http.Json;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvClientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Membership changes under load with real {@code serve} processes: one server grows to three with
 * {@code serve --join}, one is removed, a fresh one joins, leadership moves twice and the leader is stopped with
 * SIGTERM (it hands over first), while a writer keeps writing. No acknowledged write may be lost, writes may not
 * stall for longer than an election timeout plus slack, and all servers must converge.
 */
class MembershipIT {
    private static final Duration START = Duration.ofSeconds(60);
    /** Election timeout at the defaults is [0.5, 1) s; the slack covers JVM starts on a shared 2-core box. */
    private static final long MAX_STALL_MS = 1_000 + 2_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failure keeps the nodes' logs (nX.log) for reading
    Path dir;

    @Test
    @Timeout(180)
    void growRemoveReplaceTransferUnderLoad() throws Exception {
        try (ProcessCluster c = new ProcessCluster(dir, 4)) {
            c.startAlone("n1");
            c.awaitLeader(START);

            Writer writer = new Writer(new KvClient(new ArrayList<>(c.http.values()), Duration.ofSeconds(3), 12));
            Thread writing = new Thread(writer, "it-writer");
            writing.start();
            try {
                awaitAcks(writer, 20);
                c.startJoining("n2", "n1");
                awaitVoters(c, "n1", Set.of("n1", "n2"));
                c.startJoining("n3", "n2"); // through a follower: forwarded to the leader
                awaitVoters(c, "n1", Set.of("n1", "n2", "n3"));
                awaitAcks(writer, writer.acked.size() + 20);

                // Remove n2 through another node, stop it, and replace it with a fresh n4.
                String via = c.awaitLeader(START).equals("n3") ? "n1" : "n3";
                HttpResponse<String> r = post(c.http.get(via), "/remove", "{\"id\":\"n2\"}");
                assertEquals(200, r.statusCode(), r.body());
                c.terminate("n2");
                awaitVoters(c, "n1", Set.of("n1", "n3"));
                c.startJoining("n4", "n3");
                awaitVoters(c, "n1", Set.of("n1", "n3", "n4"));
                awaitAcks(writer, writer.acked.size() + 20);

                // Two transfers: to the most caught-up voter, then to a named one.
                String before = c.awaitLeader(START);
                r = post(c.http.get("n4"), "/transfer-leader", "{}");
                assertEquals(200, r.statusCode(), r.body());
                String first = Json.MAPPER.readTree(r.body()).get("leader").asText();
                assertNotEquals(before, first);
                String target = before;
                r = post(c.http.get("n1"), "/transfer-leader", "{\"id\":\"" + target + "\"}");
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(target, Json.MAPPER.readTree(r.body()).get("leader").asText());
                awaitAcks(writer, writer.acked.size() + 20);

                // SIGTERM of the leader: it hands over before stopping, so writes barely pause.
                String leader = c.awaitLeader(START);
                c.terminate(leader);
                c.awaitLeader(START);
                awaitAcks(writer, writer.acked.size() + 20);
            } finally {
                writer.stop.set(true);
                writing.join(30_000);
                writer.client.close();
            }
            System.out.println("membership IT: " + writer.acked.size() + " writes acknowledged, "
                    + writer.errors.get() + " errors, longest stall " + writer.maxStallMs.get() + " ms");
            assertTrue(writer.maxStallMs.get() <= MAX_STALL_MS,
                    "writes stalled for " + writer.maxStallMs.get() + " ms (> " + MAX_STALL_MS + ")");

            for (Map.Entry<String, String> e : writer.acked.entrySet()) {
                assertEquals(Optional.of(e.getValue()), c.client.get(e.getKey(), "linearizable"),
                        "acknowledged write lost: " + e.getKey());
            }
            JsonNode digest = c.awaitConverged(Duration.ofSeconds(30));
            assertTrue(digest.get("keys").asInt() >= writer.acked.size(), digest.toString());
        }
    }

    /** Writes unique keys one at a time; records the acknowledged ones and the longest gap between two acks. */
    static final class Writer implements Runnable {
        final KvClient client;
        final Map<String, String> acked = new ConcurrentHashMap<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong maxStallMs = new AtomicLong();

        Writer(KvClient client) {
            this.client = client;
        }

        @Override
        public void run() {
            long lastAck = System.nanoTime();
            for (int i = 0; !stop.get() && i < 1_000_000; i++) {
                String key = "w-" + i;
                try {
                    client.put(key, "v" + i);
                    acked.put(key, "v" + i);
                    long now = System.nanoTime();
                    maxStallMs.accumulateAndGet((now - lastAck) / 1_000_000, Math::max);
                    lastAck = now;
                } catch (KvClientException e) {
                    errors.incrementAndGet(); // outcome unknown or unavailable: the key is simply not counted
                }
            }
        }
    }

    static void awaitAcks(Writer w, int n) {
        TestCluster.await(Duration.ofSeconds(30), n + " acknowledged writes", () -> w.acked.size() >= n);
    }

    /** Waits until {@code viewer}'s /status lists exactly {@code ids}, all voters (learners promoted). */
    private static void awaitVoters(ProcessCluster c, String viewer, Set<String> ids) {
        AtomicReference<JsonNode> lastSeen = new AtomicReference<>();
        try {
            awaitVoters(c, viewer, ids, lastSeen);
        } catch (AssertionError e) {
            // What the viewer last reported, and where the nodes' logs are kept (the temp dir survives a failure).
            throw new AssertionError(e.getMessage() + "; last members seen: "
                    + (lastSeen.get() == null ? "none" : lastSeen.get().get("members")) + "; node logs in " + c.dir, e);
        }
    }

    private static void awaitVoters(ProcessCluster c, String viewer, Set<String> ids,
                                    AtomicReference<JsonNode> lastSeen) {
        TestCluster.await(START, viewer + " to list voters " + ids, () -> {
            JsonNode s;
            try {
                s = c.client.status(c.http.get(viewer));
            } catch (KvClientException e) {
                return false;
            }
            lastSeen.set(s);
            List<String> seen = new ArrayList<>();
            for (JsonNode m : s.get("members")) {
                if (!m.get("role").asText().equals("voter")) {
                    return false;
                }
                seen.add(m.get("id").asText());
            }
            return Set.copyOf(seen).equals(ids) && seen.size() == ids.size();
        });
    }

    static HttpResponse<String> post(String http, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + http + path)).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
