package io.raftkv.examples.ledger;

import io.raftkv.core.server.ReadLevel;
import io.raftkv.embedded.RaftClient;
import io.raftkv.embedded.RaftTestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ledger on three real nodes (Chronicle log, Netty transport) in one JVM, across the leader's death. */
class LedgerClusterTest {
    @TempDir
    Path dir;

    @Test
    void balancesMatchOnEveryServerAfterTheLeaderIsStopped() throws Exception {
        try (RaftTestCluster cluster = RaftTestCluster.start(3, dir, Ledger::new);
             RaftClient client = cluster.client()) {
            assertEquals("ok", run(client, "open alice"));
            assertEquals("ok", run(client, "open bob"));
            assertEquals("ok 100", run(client, "deposit alice 100"));
            for (int i = 0; i < 10; i++) {
                assertEquals("ok", run(client, "transfer alice bob 7"));
            }
            String leader = cluster.awaitLeader(Duration.ofSeconds(10));
            cluster.stopNode(leader);
            assertEquals("error: short funds", run(client, "transfer alice bob 31"));
            assertEquals("ok", run(client, "transfer bob alice 20"));
            assertEquals("50", read(client, "balance alice"));

            cluster.startNode(leader);
            String expected = read(client, "digest");
            for (String id : cluster.members().keySet()) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                String seen;
                while (!(seen = new String(cluster.node(id).read(bytes("digest"), ReadLevel.STALE)
                        .get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8)).equals(expected)) {
                    assertTrue(System.nanoTime() < deadline, id + " is at " + seen + ", expected " + expected);
                    Thread.sleep(20);
                }
                assertEquals("2 100", new String(cluster.node(id).read(bytes("total"), ReadLevel.STALE)
                        .get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8), id);
            }
        }
    }

    private static String run(RaftClient client, String command) throws Exception {
        return new String(client.propose(bytes(command)).get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    private static String read(RaftClient client, String query) throws Exception {
        return new String(client.read(bytes(query)).get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
