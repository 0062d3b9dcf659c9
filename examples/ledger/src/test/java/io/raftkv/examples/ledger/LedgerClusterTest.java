package io.raftkv.examples.ledger;

import io.raftkv.embedded.RaftClient;
import io.raftkv.embedded.RaftTestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ledger on three real nodes (Chronicle log, Netty transport) in one JVM, across the leader's death. */
class LedgerClusterTest {
    @TempDir
    Path dir;

    @Test
    void balancesMatchOnEveryServerAfterTheLeaderIsStopped() throws Exception {
        try (RaftTestCluster cluster = RaftTestCluster.start(3, dir, Ledger::new);
             RaftClient client = cluster.client()) {
            for (String command : new String[]{"open alice", "open bob", "deposit alice 100"}) {
                client.proposeText(command).join();
            }
            for (int i = 0; i < 10; i++) {
                assertEquals("ok", client.proposeText("transfer alice bob 7").join());
            }
            String leader = cluster.awaitLeader(Duration.ofSeconds(10));
            cluster.stopNode(leader);
            assertEquals("error: short funds", client.proposeText("transfer alice bob 31").join());
            assertEquals("ok", client.proposeText("transfer bob alice 20").join());
            assertEquals("50", client.readText("balance alice").join());

            cluster.startNode(leader); // catches up from the log (or a snapshot) and agrees
            assertEquals(client.readText("digest").join(), cluster.awaitSameAnswer("digest", Duration.ofSeconds(20)));
            assertEquals("2 100", cluster.awaitSameAnswer("total", Duration.ofSeconds(20)));
        }
    }
}
