package io.raftkv.examples.ledger;

import io.raftkv.embedded.EmbeddedNode;
import io.raftkv.embedded.RaftClient;

import java.nio.charset.StandardCharsets;
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
        String members = "n1=127.0.0.1:7101,n2=127.0.0.1:7102,n3=127.0.0.1:7103";
        List<EmbeddedNode> nodes = new ArrayList<>();
        for (String id : List.of("n1", "n2", "n3")) {
            nodes.add(EmbeddedNode.builder(id).dataDirectory(data.resolve(id)).members(members)
                    .stateMachine(new Ledger()).start());
        }
        try (RaftClient client = RaftClient.of(nodes)) {
            String leader = nodes.get(0).awaitLeader(Duration.ofSeconds(10));
            for (String c : List.of("open alice", "open bob", "deposit alice 100", "transfer alice bob 30",
                    "transfer alice bob 500")) {
                System.out.println(c + " → " + text(client.propose(bytes(c)).join()));
            }
            nodes.stream().filter(n -> n.id().equals(leader)).findFirst().orElseThrow().close();
            System.out.println("stopped the leader " + leader);
            System.out.println("transfer bob alice 5 → " + text(client.propose(bytes("transfer bob alice 5")).join()));
            System.out.println("balance alice → " + text(client.read(bytes("balance alice")).join()));
            System.out.println("total → " + text(client.read(bytes("total")).join()));
        } finally {
            nodes.forEach(EmbeddedNode::close);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
