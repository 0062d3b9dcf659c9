package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvClientException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Three real {@code serve} processes from the shaded jar: writes through every node, kill -9 of the leader,
 * restart and convergence; and durability of acknowledged writes across kill -9 of the whole cluster.
 * Runs in {@code mvn verify} (failsafe) after the jar is packaged.
 */
class MultiProcessIT {
    private static final Duration START = Duration.ofSeconds(60); // three JVMs starting on a shared 2-core box

    @TempDir
    Path dir;

    @Test
    @Timeout(240)
    void killLeaderWritesResumeRestartConverges() throws Exception {
        try (ProcessCluster c = new ProcessCluster(dir, 3)) {
            c.startAll();
            String leader = c.awaitLeader(START);
            Map<String, String> acked = new LinkedHashMap<>();
            for (String id : c.http.keySet()) {
                try (KvClient one = KvClient.of(c.http.get(id))) {
                    for (int i = 0; i < 10; i++) {
                        one.put(id + "-" + i, "v" + i);
                        acked.put(id + "-" + i, "v" + i);
                    }
                    assertEquals(Optional.of("v9"), one.get(id + "-9", "linearizable"));
                }
            }

            c.kill(leader);
            long killed = System.nanoTime();
            // Writes resume once a new leader is elected: the client retries 503s and refused connections.
            c.client.put("after-kill", "yes");
            long resumedMs = (System.nanoTime() - killed) / 1_000_000;
            System.out.println("writes resumed " + resumedMs + " ms after kill -9 of leader " + leader);
            acked.put("after-kill", "yes");
            String next = c.awaitLeader(Duration.ofSeconds(30));
            assertNotEquals(leader, next);
            for (int i = 0; i < 10; i++) {
                c.client.put("later-" + i, "x" + i);
                acked.put("later-" + i, "x" + i);
            }

            c.start(leader);
            c.awaitLeader(START);
            JsonNode digest = c.awaitConverged(START);
            assertEquals(acked.size(), digest.get("keys").asInt());
            try (KvClient back = KvClient.of(c.http.get(leader))) {
                for (Map.Entry<String, String> e : acked.entrySet()) {
                    assertEquals(Optional.of(e.getValue()), back.get(e.getKey(), "stale"), e.getKey());
                }
            }
        }
    }

    @Test
    @Timeout(240)
    void acknowledgedWritesSurviveKillMinus9OfAllServers() throws Exception {
        try (ProcessCluster c = new ProcessCluster(dir, 3)) {
            c.startAll();
            c.awaitLeader(START);
            Map<String, String> acked = new LinkedHashMap<>();
            int rounds = Boolean.getBoolean("soak") ? 5 : 2;
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < 50; i++) {
                    String key = "r" + round + "-" + i;
                    try {
                        c.client.put(key, "v" + i);
                        acked.put(key, "v" + i);
                    } catch (KvClientException e) {
                        // not acknowledged: may or may not survive, so it is not checked
                    }
                }
                c.client.batch(Map.of("batch-" + round + "-a", "A", "batch-" + round + "-b", "B"));
                acked.put("batch-" + round + "-a", "A");
                acked.put("batch-" + round + "-b", "B");

                for (String id : c.http.keySet()) {
                    c.kill(id); // kill -9 everything, with no chance to flush
                }
                c.startAll();
                c.awaitLeader(START);
                for (Map.Entry<String, String> e : acked.entrySet()) {
                    assertEquals(Optional.of(e.getValue()), c.client.get(e.getKey(), "linearizable"),
                            "acknowledged " + e.getKey() + " after kill -9 of all servers (round " + round + ")");
                }
            }
            c.awaitConverged(START);
        }
    }
}
