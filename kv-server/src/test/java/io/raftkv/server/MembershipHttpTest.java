package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.plugin.http.Json;
import io.raftkv.kv.client.KvClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Membership over HTTP with real nodes in one JVM: a one-node cluster grows by {@code /join} (directly and through
 * a follower), learners are promoted, {@code /transfer-leader} moves leadership, {@code /remove} shrinks it, a
 * removed node restarted on its old data does not disrupt the cluster (pre-vote, thesis §9.6) and can join again.
 */
class MembershipHttpTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void growTransferShrinkRejoin() throws Exception {
        try (TestCluster c = new TestCluster(dir, 1, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(Duration.ofSeconds(20));
            Map<String, String> https = new LinkedHashMap<>(c.configs.get("n1").httpPeers());
            String n2raft = "127.0.0.1:" + Ports.free();
            String n3raft = "127.0.0.1:" + Ports.free();
            https.put("n2", "127.0.0.1:" + Ports.free());
            https.put("n3", "127.0.0.1:" + Ports.free());
            // Joining servers: no --peers (empty configuration), --http-peers so they can forward.
            ServerConfig n2 = joiner("n2", n2raft, https);
            ServerConfig n3 = joiner("n3", n3raft, https);
            c.client.put("before", "1");

            ServerNode node2 = ServerNode.start(n2);
            c.nodes.put("n2", node2);
            c.configs.put("n2", n2);
            assertFalse(node2.hasConfiguration(), "a joining server starts empty and never campaigns");
            assertTrue(node2.joinIfNew("http://" + c.http("n1"), Duration.ofSeconds(30)));
            awaitVoters(c, "n1", 2);
            // The third joins through a follower: the request is forwarded to the leader.
            String follower = c.awaitLeader(Duration.ofSeconds(10)).equals("n1") ? "n2" : "n1";
            ServerNode node3 = ServerNode.start(n3);
            c.nodes.put("n3", node3);
            c.configs.put("n3", n3);
            assertTrue(node3.joinIfNew("http://" + c.http(follower), Duration.ofSeconds(30)));
            awaitVoters(c, "n1", 3);
            // Idempotent: the same join again is 200, a different address for the same id is 409.
            assertEquals(200, post(c.http("n2"), "/join", "{\"id\":\"n3\",\"addr\":\"" + n3raft + "\"}").statusCode());
            assertEquals(409, post(c.http("n2"), "/join", "{\"id\":\"n3\",\"addr\":\"127.0.0.1:1\"}").statusCode());
            // A stale read on the new member answers from its own state: it has "before" once it has caught up.
            KvClient n3client = KvClient.of(c.http("n3"));
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!n3client.get("before", "stale").equals(Optional.of("1")) && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals(Optional.of("1"), n3client.get("before", "stale"));

            // Transfer to a named server, then to "the most caught-up one", through any node.
            HttpResponse<String> t = post(c.http("n1"), "/transfer-leader", "{\"id\":\"n3\"}");
            assertEquals(200, t.statusCode(), t.body());
            assertEquals("n3", Json.MAPPER.readTree(t.body()).get("leader").asText());
            assertEquals("n3", c.awaitLeader(Duration.ofSeconds(10)));
            t = post(c.http("n2"), "/transfer-leader", "");
            assertEquals(200, t.statusCode(), t.body());
            String leader = Json.MAPPER.readTree(t.body()).get("leader").asText();
            assertTrue(!leader.equals("n3"), t.body());
            c.client.put("after-transfers", "2");

            // Remove n2 (the leader or not: both are allowed), then restart it on its old data.
            HttpResponse<String> r = post(c.http("n3"), "/remove", "{\"id\":\"n2\"}");
            assertEquals(200, r.statusCode(), r.body());
            c.stop("n2");
            awaitVoters(c, "n3", 2);
            String stable = c.awaitLeader(Duration.ofSeconds(10));
            long term = c.nodes.get(stable).raft().status().term();
            c.client.put("while-removed", "3");
            ServerNode again = ServerNode.start(n2);
            c.nodes.put("n2", again);
            assertFalse(again.joinIfNew("http://" + c.http("n1"), Duration.ofSeconds(30)),
                    "old data holds a configuration: no blind re-join");
            Thread.sleep(3 * 2 * 500); // three maximal election timeouts of the removed server
            assertEquals(term, c.nodes.get(stable).raft().status().term(),
                    "a removed server must not disrupt the cluster (pre-vote)");
            assertEquals(stable, c.nodes.get(stable).raft().status().leaderId());
            c.client.put("still-writable", "4");

            // And it can be added back (its old configuration still names the others: no seeding needed).
            Joiner.join("http://" + c.http("n1"), n2, Duration.ofSeconds(30));
            awaitVoters(c, stable, 3);
            JsonNode converged = c.awaitConverged(Duration.ofSeconds(20));
            assertEquals(4, converged.get("keys").asInt(), converged.toString());
            Map<String, String> written = Map.of("before", "1", "after-transfers", "2", "while-removed", "3",
                    "still-writable", "4");
            for (Map.Entry<String, String> e : written.entrySet()) {
                assertEquals(Optional.of(e.getValue()), c.client.get(e.getKey(), "linearizable"), e.getKey());
            }
            JsonNode status = Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://" + c.http(stable) + "/status")).build(), HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode m : status.get("members")) {
                assertEquals("voter", m.get("role").asText(), status.toString());
                assertTrue(m.has("matchIndex") && m.has("caughtUp"), status.toString());
            }
        }
    }

    /**
     * The gap {@link ServerNode#joinIfNew} works around: a server started with an empty configuration (as DRIVER.md
     * recommends for joiners) and added by the leader never catches up over {@code NettyTransport}, because the
     * transport only dials members of the configuration in effect and drops messages to anyone else
     * ({@code dropped{reason=unknown peer}}): the joiner's answers to the leader's first AppendEntries go nowhere,
     * so it never receives the configuration entry that would name the leader. ({@code LocalNetwork} routes by id
     * and hides this.) Fix belongs in the transport: answer an unknown sender over its inbound connection, or
     * learn its address from the handshake.
     */
    @Test
    @Timeout(60)
    void aJoinedServerCatchesUpWithoutBeingToldTheMembers() throws Exception {
        try (TestCluster c = new TestCluster(dir, 1, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(Duration.ofSeconds(20));
            ServerConfig n2 = joiner("n2", "127.0.0.1:" + Ports.free(), Map.of());
            c.nodes.put("n2", ServerNode.start(n2));
            Joiner.join("http://" + c.http("n1"), n2, Duration.ofSeconds(30)); // accepted, but no seeding
            awaitVoters(c, "n1", 2);
        }
    }

    @Test
    @Timeout(60)
    void aJoinThatCannotSucceedFailsWithinItsTimeout() throws Exception {
        ServerConfig lonely = joiner("n9", "127.0.0.1:" + Ports.free(), Map.of());
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> Joiner.join("http://127.0.0.1:" + Ports.free(), lonely, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("within"), e.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L);
    }

    private ServerConfig joiner(String id, String raft, Map<String, String> https) {
        String http = https.getOrDefault(id, "127.0.0.1:" + Ports.free());
        return new ServerConfig(id, "test", dir.resolve(id), raft, http, Map.of(), https,
                Duration.ofMillis(50), 10, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES,
                ServerConfig.DEFAULT_SNAPSHOT_THRESHOLD, ServerConfig.DEFAULT_SNAPSHOT_TRAILING);
    }

    /** Waits until {@code viewer} sees {@code n} voters and no learner. */
    private static void awaitVoters(TestCluster c, String viewer, int n) {
        TestCluster.await(Duration.ofSeconds(20), viewer + " to see " + n + " voters", () -> {
            var members = c.nodes.get(viewer).raft().status().members();
            return members.size() == n && members.stream().allMatch(m -> m.voter());
        });
    }

    private static HttpResponse<String> post(String http, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + http + path)).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
