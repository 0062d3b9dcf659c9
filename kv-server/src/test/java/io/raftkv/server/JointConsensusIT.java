package io.raftkv.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.plugin.http.Json;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvClientException;
import io.raftkv.verify.CheckResult;
import io.raftkv.verify.History;
import io.raftkv.verify.HistoryJson;
import io.raftkv.verify.HistoryRecorder;
import io.raftkv.verify.LinearizabilityChecker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static io.raftkv.server.MembershipIT.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Joint consensus (Raft §6) end to end with real {@code serve} processes: voters n1, n2, n3 and learners n4, n5
 * (all started with {@code --no-auto-promote}, so the learners stay learners until named) move to voters
 * {n3, n4, n5} in one {@code POST /reconfigure} — with the leader among the servers removed — while concurrent
 * clients on every node run linearizable reads, writes and compare-and-sets (their history must be linearizable,
 * raft-verify's checker) and a writer's acknowledged writes must all survive.
 */
class JointConsensusIT {
    private static final long SEED = Long.getLong("joint.seed", 20260601L);
    private static final Duration START = Duration.ofSeconds(60);
    private static final List<String> OLD_VOTERS = List.of("n1", "n2", "n3");
    private static final Set<String> NEW_VOTERS = Set.of("n3", "n4", "n5");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // a failure keeps the nodes' logs (nX.log) for reading
    Path dir;

    @Test
    @Timeout(300)
    void swapTheLeaderAndAnotherVoterForTwoLearnersInOneStepUnderLoad() throws Exception {
        Duration run = Duration.ofSeconds(Boolean.getBoolean("soak") ? 60 : 15);
        HistoryRecorder recorder = new HistoryRecorder();
        try (ProcessCluster c = new ProcessCluster(dir, 5)) {
            c.serveOptions.add("--no-auto-promote");
            for (String id : OLD_VOTERS) {
                c.startWithPeers(id, OLD_VOTERS);
            }
            c.awaitLeader(START);
            c.startJoining("n4", "n1");
            c.startJoining("n5", "n2");
            String leader = c.awaitLeader(START);
            if (leader.equals("n3")) {
                // The leader must be one of the servers the change removes.
                HttpResponse<String> t = post(c.http.get("n3"), "/transfer-leader", "{\"id\":\"n1\"}");
                assertEquals(200, t.statusCode(), t.body());
                leader = c.awaitLeader(START);
            }
            awaitMembers(c, leader, Set.of("n1", "n2", "n3"), Set.of("n4", "n5"), true);

            MembershipIT.Writer writer = new MembershipIT.Writer(
                    new KvClient(new ArrayList<>(c.http.values()), Duration.ofSeconds(3), 15));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(1)).build();
            List<String> ids = List.copyOf(c.http.keySet());
            long end = System.nanoTime() + run.toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(ids.size() + 1);
            AtomicReference<JsonNode> jointSeen = new AtomicReference<>();
            AtomicBoolean changeDone = new AtomicBoolean();
            String removedLeader = leader;
            JsonNode reconfigured;
            try {
                List<Future<?>> clients = new ArrayList<>();
                for (int p = 0; p < ids.size(); p++) {
                    int process = p;
                    String node = ids.get(p);
                    clients.add(pool.submit(() -> {
                        LinearizabilityIT.runClient(http, recorder.client(process, node), c.http.get(node),
                                new SplittableRandom(SEED + process), end);
                        return null;
                    }));
                }
                clients.add(pool.submit(writer));
                MembershipIT.awaitAcks(writer, 20);
                Thread.sleep(run.toMillis() / 3);

                // One call, sent to a learner (forwarded to the leader), while another thread watches /status.
                Thread watcher = new Thread(() -> watchForJoint(c, jointSeen, changeDone), "joint-watcher");
                watcher.start();
                // A learner that is still behind is refused with 503 "retry" (it must catch up before a joint step
                // makes it a voter); under a loaded machine that can take a while, so resend as an operator would.
                HttpResponse<String> r = post(c.http.get("n4"), "/reconfigure",
                        "{\"voters\":[\"n3\",\"n4\",\"n5\"],\"learners\":[]}");
                long catchUpDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (r.statusCode() == 503 && r.body().contains("has not caught up")
                        && System.nanoTime() < catchUpDeadline) {
                    Thread.sleep(200);
                    r = post(c.http.get("n4"), "/reconfigure", "{\"voters\":[\"n3\",\"n4\",\"n5\"],\"learners\":[]}");
                }
                changeDone.set(true);
                assertEquals(200, r.statusCode(), r.body());
                reconfigured = Json.MAPPER.readTree(r.body());
                String next = awaitLeaderAmong(c, NEW_VOTERS);
                assertFalse(next.equals(removedLeader));
                MembershipIT.awaitAcks(writer, writer.acked.size() + 20);

                for (Future<?> f : clients.subList(0, ids.size())) {
                    f.get(run.toSeconds() + 120, TimeUnit.SECONDS);
                }
                writer.stop.set(true);
                clients.get(ids.size()).get(60, TimeUnit.SECONDS);
                watcher.join(10_000);
            } finally {
                writer.stop.set(true);
                pool.shutdownNow();
                writer.client.close();
            }
            assertEquals(List.of("n3", "n4", "n5"), names(reconfigured.get("voters")), reconfigured.toString());
            if (jointSeen.get() != null) { // the joint phase lasts a few round trips: /status may or may not show it
                assertEquals(List.of("n1", "n2", "n3"), names(jointSeen.get().get("old")), jointSeen.get().toString());
                assertEquals(List.of("n3", "n4", "n5"), names(jointSeen.get().get("new")), jointSeen.get().toString());
            }
            assertEquals(List.of(), names(reconfigured.get("learners")), reconfigured.toString());

            History history = recorder.history();
            CheckResult result = new LinearizabilityChecker().check(history);
            Path saved = dir.resolve("history.jsonl");
            HistoryJson.write(history, saved);
            System.out.println("joint IT seed " + SEED + ": " + history.operations().size() + " operations, "
                    + writer.acked.size() + " writes acknowledged (" + writer.errors.get() + " errors), removed leader "
                    + removedLeader + ", joint configuration seen in /status: " + jointSeen.get() + ", verdict "
                    + result.verdict());
            if (!result.isLinearizable()) {
                Path keep = Path.of("target", "failed-joint-history-" + SEED + ".jsonl");
                Files.createDirectories(keep.getParent());
                Files.copy(saved, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            assertTrue(result.violations().isEmpty(), "seed " + SEED + " (history in target/): " + result.report());
            assertTrue(result.isLinearizable(), "seed " + SEED + ": checker could not decide: " + result.report());

            // The removed servers are decommissioned; the new configuration holds every acknowledged write.
            c.terminate("n1");
            c.terminate("n2");
            String last = c.awaitLeader(START);
            awaitMembers(c, last, NEW_VOTERS, Set.of(), false);
            KvClient readers = new KvClient(List.of(c.http.get("n3"), c.http.get("n4"), c.http.get("n5")),
                    Duration.ofSeconds(5), 10);
            try {
                for (Map.Entry<String, String> e : writer.acked.entrySet()) {
                    assertEquals(Optional.of(e.getValue()), readers.get(e.getKey(), "linearizable"),
                            "acknowledged write lost: " + e.getKey());
                }
            } finally {
                readers.close();
            }
            JsonNode digest = c.awaitConverged(Duration.ofSeconds(30));
            assertTrue(digest.get("keys").asInt() >= writer.acked.size(), digest.toString());
        }
    }

    /** Polls the nodes' /status until the change is done; keeps the first joint configuration (§6) one showed. */
    private static void watchForJoint(ProcessCluster c, AtomicReference<JsonNode> seen, AtomicBoolean done) {
        while (!done.get() && seen.get() == null) {
            for (String http : List.copyOf(c.http.values())) {
                try {
                    JsonNode joint = c.client.status(http).get("joint");
                    if (joint != null) {
                        seen.compareAndSet(null, joint);
                    }
                } catch (KvClientException e) {
                    // a node busy or down: look at the next one
                }
            }
        }
    }

    private static String awaitLeaderAmong(ProcessCluster c, Set<String> among) {
        String[] leader = new String[1];
        TestCluster.await(START, "a leader among " + among, () -> {
            for (String id : among) {
                try {
                    String l = c.client.status(c.http.get(id)).path("leader").asText(null);
                    if (l == null || !among.contains(l)) {
                        return false;
                    }
                    leader[0] = l;
                } catch (KvClientException e) {
                    return false;
                }
            }
            return true;
        });
        return leader[0];
    }

    /** Waits until {@code viewer} lists exactly these voters and learners (with {@code caughtUp}, all caught up). */
    private static void awaitMembers(ProcessCluster c, String viewer, Set<String> voters, Set<String> learners,
                                     boolean caughtUp) {
        TestCluster.await(START, viewer + " to list voters " + voters + " and learners " + learners, () -> {
            JsonNode s;
            try {
                s = c.client.status(c.http.get(viewer));
            } catch (KvClientException e) {
                return false;
            }
            Set<String> seenVoters = new TreeSet<>();
            Set<String> seenLearners = new TreeSet<>();
            for (JsonNode m : s.get("members")) {
                (m.get("voter").asBoolean() ? seenVoters : seenLearners).add(m.get("id").asText());
                if (caughtUp && !m.path("caughtUp").asBoolean(false)) {
                    return false;
                }
            }
            return seenVoters.equals(voters) && seenLearners.equals(learners) && !s.has("joint");
        });
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
