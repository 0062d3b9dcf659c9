package io.raftkv.examples.ledger;

import io.raftkv.embedded.EmbeddedNode;
import io.raftkv.embedded.RaftClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Three ledger servers in one JVM, on loopback ports 7101-7103, with their data under a directory (argument, or a
 * new temporary one): a few commands through whichever leads, then the leader is stopped and the ledger goes on.
 * Run it with Chronicle's JVM flags (see the root README).
 */
public final class LedgerDemo {
    public static void main(String[] args) throws Exception {
        Path data = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("ledger");
        List<EmbeddedNode> nodes = new ArrayList<>();
        for (String id : List.of("n1", "n2", "n3")) {
            nodes.add(EmbeddedNode.builder(id).dataDirectory(data.resolve(id)).stateMachine(new Ledger())
                    .members("n1=127.0.0.1:7101,n2=127.0.0.1:7102,n3=127.0.0.1:7103").start());
        }
        try (RaftClient client = RaftClient.of(nodes)) {
            for (String c : List.of("open alice", "open bob", "deposit alice 100", "transfer alice bob 500")) {
                System.out.println(c + " → " + client.proposeText(c).join());
            }
            String leader = nodes.get(0).awaitLeader(Duration.ofSeconds(10));
            nodes.stream().filter(n -> n.id().equals(leader)).forEach(EmbeddedNode::close);
            System.out.println("stopped the leader " + leader + "; transfer alice bob 30 → "
                    + client.proposeText("transfer alice bob 30").join());
            System.out.println("balance alice → " + client.readText("balance alice").join());
        } finally {
            nodes.forEach(EmbeddedNode::close);
        }
    }
}
