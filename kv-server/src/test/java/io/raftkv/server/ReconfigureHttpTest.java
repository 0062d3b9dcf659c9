package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.plugin.http.Json;
import org.junit.jupiter.api.AfterEach;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.raftkv.server.MembershipIT.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /reconfigure} (joint consensus, Raft §6) with real nodes in one JVM, started with auto-promotion off so
 * that joined servers stay learners until a reconfiguration names them: the answer once C_new is committed, every
 * kind of bad input, idempotent retries, 409 while another change is in progress and the joint configuration in
 * {@code /status} while it lasts.
 */
class ReconfigureHttpTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    private final Map<String, String> raft = new LinkedHashMap<>();
    private final Map<String, String> https = new LinkedHashMap<>();
    private final Map<String, ServerNode> nodes = new LinkedHashMap<>();

    @AfterEach
    void stopAll() {
        nodes.values().forEach(ServerNode::close);
    }

    /** n1 alone as the only voter, then {@code joiners} added as learners (they stay learners). */
    private void startWithLearners(Duration tick, int electionTicks, Duration requestTimeout, String... joiners)
            throws Exception {
        List<String> ids = new ArrayList<>(List.of("n1"));
        ids.addAll(List.of(joiners));
        for (String id : ids) {
            raft.put(id, "127.0.0.1:" + Ports.free());
            https.put(id, "127.0.0.1:" + Ports.free());
        }
        for (String id : ids) {
            Map<String, String> peers = id.equals("n1") ? Map.of("n1", raft.get("n1")) : Map.of();
            ServerConfig config = new ServerConfig(id, "test", dir.resolve(id), raft.get(id), https.get(id), peers,
                    https, tick, electionTicks, requestTimeout, ServerConfig.DEFAULT_MAX_BODY_BYTES,
                    ServerConfig.DEFAULT_SNAPSHOT_THRESHOLD, ServerConfig.DEFAULT_SNAPSHOT_TRAILING)
                    .withAutoPromoteLearners(false);
            ServerNode node = ServerNode.start(config);
            nodes.put(id, node);
            if (id.equals("n1")) {
                TestCluster.await(Duration.ofSeconds(30), "n1 leads", () -> node.raft().status().isLeader());
            } else {
                assertTrue(node.joinIfNew("http://" + https.get("n1"), Duration.ofSeconds(30)));
            }
        }
        awaitMembers("n1", Set.of("n1"), new TreeSet<>(List.of(joiners)));
    }

    @Test
    @Timeout(120)
    void reconfigurePromotesLearnersAndRemovesTheLeaderInOneStep() throws Exception {
        startWithLearners(Duration.ofMillis(50), 10, Duration.ofSeconds(10), "n2", "n3");
        // Through a learner (forwarded to the leader): n1 out, n2 and n3 in, in one change.
        HttpResponse<String> r = post(https.get("n2"), "/reconfigure", "{\"voters\":[\"n3\",\"n2\"]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertEquals("[\"n2\",\"n3\"]", body.get("voters").toString(), r.body());
        assertEquals("[]", body.get("learners").toString(), r.body());
        assertEquals(2, body.get("members").size(), r.body());
        assertTrue(body.get("index").asLong() > 0, r.body());
        String leader = awaitLeaderAmong(Set.of("n2", "n3"));
        awaitMembers(leader, Set.of("n2", "n3"), Set.of());
        assertFalse(nodes.get("n1").raft().status().isLeader(), "the removed leader stepped down");
        assertEquals(204, HTTP.send(HttpRequest.newBuilder(URI.create("http://" + https.get(leader) + "/key/k"))
                .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());

        // Retrying the same request (say after a timeout) is safe: the configuration already is the one asked for.
        r = post(https.get("n3"), "/reconfigure", "{\"voters\":[\"n2\",\"n3\"],\"learners\":[]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("[\"n2\",\"n3\"]", Json.MAPPER.readTree(r.body()).get("voters").toString());

        String any = https.get("n3");
        String[][] badRequests = {
                {"{}", "at least one voter"},
                {"{\"voters\":[]}", "at least one voter"},
                {"{\"voters\":[\"n2\",\"n2\"]}", "listed twice"},
                {"{\"voters\":[\"n2\"],\"learners\":[\"n2\"]}", "both as a voter and as a learner"},
                {"{\"voters\":[\"n2\",\"n9\"]}", "not members: [n9]"},
                {"{\"voters\":[\"n2\",\"n3\"],\"learners\":[\"n1\"]}", "not members: [n1]"},
                {"{\"voters\":[\"n2\"],\"learnrs\":[\"n3\"]}", "unknown field \\\"learnrs\\\""},
                {"{\"voters\":\"n2\"}", "must be an array"},
                {"{\"voters\":[\"n2\", 3]}", "non-empty server ids"},
                {"{\"voters\":[\" \"]}", "non-empty server ids"},
                {"[\"n2\"]", "reconfigure needs"},
                {"{\"voters\":", ""}};
        for (String[] bad : badRequests) {
            HttpResponse<String> reply = post(any, "/reconfigure", bad[0]);
            assertEquals(400, reply.statusCode(), bad[0] + " -> " + reply.body());
            assertTrue(reply.body().contains(bad[1]), bad[0] + " -> " + reply.body());
        }
        assertEquals(405, HTTP.send(HttpRequest.newBuilder(URI.create("http://" + any + "/reconfigure")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    @Timeout(120)
    void aPendingChangeIs409AndTheJointConfigurationShowsInStatus() throws Exception {
        // Election timeout 3.75 s: once n2 is gone, n1 keeps leading (check-quorum) for at least that long.
        startWithLearners(Duration.ofMillis(25), 150, Duration.ofSeconds(2), "n2", "n3");
        HttpResponse<String> r = post(https.get("n1"), "/reconfigure",
                "{\"voters\":[\"n1\",\"n2\"],\"learners\":[\"n3\"]}");
        assertEquals(200, r.statusCode(), r.body());
        awaitMembers("n1", Set.of("n1", "n2"), Set.of("n3"));

        // Without n2, C_old = {n1, n2} has no majority: C_old,new = {n1,n2} -> {n1,n3} cannot commit and lasts.
        nodes.remove("n2").close();
        CompletableFuture<HttpResponse<String>> stuck = HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create("http://" + https.get("n1") + "/reconfigure"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"voters\":[\"n1\",\"n3\"]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode[] status = new JsonNode[1];
        TestCluster.await(Duration.ofSeconds(10), "n1's /status to show the joint configuration", () -> {
            status[0] = status("n1");
            return status[0].has("joint");
        });
        assertEquals("{\"old\":[\"n1\",\"n2\"],\"new\":[\"n1\",\"n3\"]}", status[0].get("joint").toString());
        assertEquals(3, status[0].get("members").size(), "members lists both halves: " + status[0]);

        r = post(https.get("n1"), "/reconfigure", "{\"voters\":[\"n1\"]}");
        assertEquals(409, r.statusCode(), r.body());
        assertTrue(r.body().contains("not yet committed"), r.body());
        assertEquals(504, stuck.get(30, TimeUnit.SECONDS).statusCode(), "C_new never committed: outcome unknown");
    }

    private JsonNode status(String id) {
        try {
            return Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://" + https.get(id)
                    + "/status")).build(), HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception e) {
            throw new AssertionError("status of " + id, e);
        }
    }

    private String awaitLeaderAmong(Set<String> among) {
        String[] leader = new String[1];
        TestCluster.await(Duration.ofSeconds(20), "a leader among " + among, () -> {
            for (String id : among) {
                if (nodes.get(id).raft().status().isLeader()) {
                    leader[0] = id;
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    /** Waits until {@code viewer} lists exactly these voters and learners, and no joint configuration. */
    private void awaitMembers(String viewer, Set<String> voters, Set<String> learners) {
        TestCluster.await(Duration.ofSeconds(20), viewer + " to list voters " + voters + " and learners " + learners,
                () -> {
                    var s = nodes.get(viewer).raft().status();
                    Set<String> v = new TreeSet<>();
                    Set<String> l = new TreeSet<>();
                    s.members().forEach(m -> (m.voter() ? v : l).add(m.id()));
                    boolean caughtUp = s.members().stream().allMatch(m -> m.matchIndex() == null
                            || m.matchIndex() >= s.lastLogIndex());
                    return s.joint() == null && v.equals(voters) && l.equals(learners) && caughtUp;
                });
    }
}
