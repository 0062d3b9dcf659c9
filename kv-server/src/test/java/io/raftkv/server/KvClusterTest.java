package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.kv.client.KvClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A 3-node cluster in this JVM over the Chronicle log and the Netty transport, driven through HTTP. */
class KvClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    @Timeout(90)
    void writesReadLevelsAndCasThroughEveryNode() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            String leader = c.awaitLeader(WAIT);
            // Every node takes writes: followers forward them to the leader.
            for (String id : c.configs.keySet()) {
                try (KvClient one = KvClient.of(c.http(id))) {
                    one.put("k-" + id, "v-" + id);
                    assertEquals(Optional.of("v-" + id), one.get("k-" + id, "linearizable"),
                            "read-your-write through " + id + " (leader " + leader + ")");
                    assertEquals(Optional.of("v-" + id), one.get("k-" + id, "lease"));
                }
            }
            // Linearizable reads through a follower see every acknowledged write.
            String follower = c.configs.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            try (KvClient f = KvClient.of(c.http(follower))) {
                for (String id : c.configs.keySet()) {
                    assertEquals(Optional.of("v-" + id), f.get("k-" + id, "linearizable"));
                }
                // Stale reads are local: they converge, but need not be immediate.
                f.put("stale-key", "x");
                TestCluster.await(WAIT, "stale read on the follower", () ->
                        f.get("stale-key", "stale").equals(Optional.of("x")));
                assertEquals(Optional.empty(), f.get("never-written", "linearizable"));

                f.batch(Map.of("b1", "1", "b2", "2", "b3", "3"));
                assertEquals(Optional.of("2"), c.client.get("b2", "linearizable"));

                f.delete("b2");
                assertEquals(Optional.empty(), c.client.get("b2", "linearizable"));

                KvClient.CasResult created = f.cas("counter", null, "1");
                assertTrue(created.swapped());
                KvClient.CasResult wrong = f.cas("counter", "7", "8");
                assertFalse(wrong.swapped());
                assertEquals("1", wrong.current());
                assertTrue(f.cas("counter", "1", "2").swapped());
                assertEquals(Optional.of("2"), f.get("counter", "linearizable"));
                assertTrue(f.cas("counter", "2", null).swapped(), "CAS to null deletes");
                assertEquals(Optional.empty(), f.get("counter", "linearizable"));
            }
            JsonNode status = c.client.status(c.http(leader));
            assertEquals("leader", status.get("role").asText());
            assertEquals(leader, status.get("leader").asText());
            assertEquals(3, status.get("members").size());
            assertTrue(status.get("commitIndex").asLong() > 0);
            c.awaitConverged(WAIT);
            // The leader reports replication lag per follower, with the peer as a tag.
            String metrics = c.nodes.get(leader).registry().scrape();
            for (String id : c.configs.keySet()) {
                if (!id.equals(leader)) {
                    assertTrue(metrics.contains("raft_replication_lag{node=\"" + leader + "\",peer=\"" + id + "\"}"),
                            "lag of " + id + " in:\n" + metrics.lines().filter(l -> l.contains("lag")).toList());
                }
            }
        }
    }

    /**
     * With snapshots every 100 entries and only 10 kept behind them, a follower that was down while 400 writes
     * happened can only catch up by InstallSnapshot (§7), and every node restarts from its snapshot file plus the
     * log after it. All of it through the real FileSnapshotStore and the KV state machine's snapshot format.
     */
    @Test
    @Timeout(120)
    void snapshotsInstallOnALaggingFollowerAndRestoreOnRestart() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES,
                100, 10)) {
            String leader = c.awaitLeader(WAIT);
            String lagging = c.configs.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            c.stop(lagging);
            for (int i = 0; i < 400; i++) {
                if (i % 4 == 0) {
                    c.client.batch(Map.of("s" + i, "b" + i));
                } else {
                    c.client.put("s" + i, "v" + i);
                }
            }
            TestCluster.await(WAIT, "a snapshot on the leader", () ->
                    c.nodes.get(c.awaitLeader(WAIT)).raft().status().lastSnapshotIndex() > 0);
            c.start(lagging);
            JsonNode converged = c.awaitConverged(WAIT);
            assertEquals(400, converged.get("keys").asInt());
            TestCluster.await(WAIT, "a snapshot on the restarted follower", () ->
                    c.nodes.get(lagging).raft().status().lastSnapshotIndex() > 0);

            // Restart everyone: each restores its newest snapshot file and replays the log after it.
            for (String id : List.copyOf(c.nodes.keySet())) {
                c.stop(id);
            }
            for (String id : c.configs.keySet()) {
                c.start(id);
            }
            c.awaitLeader(WAIT);
            c.client.put("after-restart", "x");
            JsonNode after = c.awaitConverged(WAIT);
            assertEquals(401, after.get("keys").asInt());
            try (KvClient back = KvClient.of(c.http(lagging))) {
                assertEquals(Optional.of("b0"), back.get("s0", "stale"));
                assertEquals(Optional.of("v399"), back.get("s399", "stale"));
            }
        }
    }

    /**
     * Concurrent compare-and-set increments through all three nodes (most of them forwarded): every swap that was
     * acknowledged must show up exactly once in the final value, or CAS is not atomic end to end.
     */
    @Test
    @Timeout(90)
    void concurrentCasIncrementsThroughEveryNodeLoseNothing() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(WAIT);
            c.client.put("ctr", "0");
            List<String> ids = List.copyOf(c.configs.keySet());
            int threads = 6;
            int incrementsEach = 15;
            java.util.concurrent.atomic.AtomicInteger swaps = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String node = ids.get(t % ids.size());
                    done.add(pool.submit(() -> {
                        try (KvClient kv = KvClient.of(c.http(node))) {
                            for (int i = 0; i < incrementsEach; i++) {
                                for (int attempt = 0; attempt < 200; attempt++) { // bounded: contention retries
                                    String cur = kv.get("ctr", "linearizable").orElseThrow();
                                    String next = Integer.toString(Integer.parseInt(cur) + 1);
                                    if (kv.cas("ctr", cur, next).swapped()) {
                                        swaps.incrementAndGet();
                                        break;
                                    }
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(threads * incrementsEach, swaps.get(), "every increment eventually swapped");
            assertEquals(Optional.of(Integer.toString(swaps.get())), c.client.get("ctr", "linearizable"));
        }
    }

    @Test
    @Timeout(90)
    void writesThroughAFollowerTravelOverTheRaftTransport_andQuorumLossIsNotA204() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofMillis(1500), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            String leader = c.awaitLeader(WAIT);
            String follower = c.configs.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // A write through a follower is handed to the leader inside the Raft transport (no second HTTP request),
            // and the follower answers once it has applied the entry itself.
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + c.http(follower) + "/key/loop"))
                    .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, r.statusCode(), r.body());
            var registry = c.nodes.get(follower).registry();
            assertEquals(1.0, registry.get("raft.proposals").tag("result", "forwarded").counter().count());
            assertEquals(0.0, registry.counter("kv.http.forwarded", "result", "answered").count(),
                    "no HTTP forwarding of KV requests");
            // Its own state machine already holds the value when the 204 arrives: a stale read there sees it.
            r = http.send(HttpRequest.newBuilder(URI.create("http://" + c.http(follower) + "/key/loop?level=stale"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());

            // Without a quorum a write is never acknowledged: 504 (proposed, outcome unknown) or 503 (not applied).
            for (String id : c.configs.keySet()) {
                if (!id.equals(leader)) {
                    c.stop(id);
                }
            }
            r = http.send(HttpRequest.newBuilder(URI.create("http://" + c.http(leader) + "/key/lonely"))
                    .timeout(Duration.ofSeconds(10))
                    .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(r.statusCode() == 503 || r.statusCode() == 504, r.statusCode() + " " + r.body());
            // A linearizable read cannot be confirmed either; a stale read still answers from local state.
            r = http.send(HttpRequest.newBuilder(URI.create("http://" + c.http(leader) + "/key/loop"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(503, r.statusCode(), r.body());
            r = http.send(HttpRequest.newBuilder(URI.create("http://" + c.http(leader) + "/key/loop?level=stale"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    @Timeout(120)
    void leaderCrashReelectionAndFollowerRestartFromDisk() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            String first = c.awaitLeader(WAIT);
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                c.client.put("a" + i, "v" + i);
                acked.add("a" + i);
            }
            long firstTerm = c.nodes.get(first).raft().status().term();

            c.stop(first);
            String second = c.awaitLeader(WAIT);
            assertNotEquals(first, second);
            assertTrue(c.nodes.get(second).raft().status().term() > firstTerm, "a new leader has a higher term");
            for (int i = 20; i < 40; i++) {
                c.client.put("a" + i, "v" + i); // the client skips the dead node
                acked.add("a" + i);
            }

            // The old leader comes back from its data directory as a follower and catches up.
            c.start(first);
            c.awaitLeader(WAIT);
            JsonNode digest = c.awaitConverged(WAIT);
            assertEquals(acked.size(), digest.get("keys").asInt());
            try (KvClient back = KvClient.of(c.http(first))) {
                for (int i = 0; i < 40; i++) {
                    assertEquals(Optional.of("v" + i), back.get("a" + i, "stale"), "a" + i + " on restarted " + first);
                }
            }

            // A follower restarted from disk catches up too (its log is replayed into the state machine).
            String follower = c.configs.keySet().stream()
                    .filter(id -> !id.equals(c.awaitLeader(WAIT))).findFirst().orElseThrow();
            c.stop(follower);
            for (int i = 40; i < 50; i++) {
                c.client.put("a" + i, "v" + i);
            }
            c.start(follower);
            JsonNode after = c.awaitConverged(WAIT);
            assertEquals(50, after.get("keys").asInt());
        }
    }
}
