package io.raftkv.core.server;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.raftkv.core.server.RaftServerDriverTest.cause;
import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static io.raftkv.core.server.RegisterStateMachine.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three real {@link RaftServer}s around the real {@code RaftNode}, in one JVM over a
 * {@link io.raftkv.core.transport.LocalNetwork}. Every test also checks the durability contract on every message
 * (see {@link LocalCluster}) and that every thread stopped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RaftServerClusterTest {

    private static byte[] await(CompletableFuture<byte[]> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static Throwable causeWithin(CompletableFuture<?> f, int seconds) throws Exception {
        try {
            f.get(seconds, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void electsALeader_proposalsCompleteWithResults_everyReplicaAppliesTheSameSequence() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 1).startAll()) {
            RaftServer leader = c.awaitLeader();
            // The new leader's no-op took index 1 (§5.4.2), so commands start at 2; results are "<index>:<size>".
            long first = Long.parseLong(string(await(leader.propose(bytes("v0")))).split(":")[0]);
            for (int i = 1; i < 20; i++) {
                String result = string(await(leader.propose(bytes("v" + i))));
                assertEquals((first + i) + ":" + (i + 1), result);
            }
            c.awaitConverged(20, c.ids);
            assertEquals("v0", c.stateMachines.get("n1").values().get(0));
            RaftStatus s = leader.status();
            assertTrue(s.commitIndex() >= first + 19, s.toString());
            ServerTestSupport.await(() -> leader.status().members().stream()
                    .allMatch(m -> m.matchIndex() != null && m.matchIndex() >= first + 19), 5000, "match indexes in status");
        }
    }

    /** A pipelining client's batch: in order, contiguous in the log, on a follower as on the leader; reads too. */
    @Test
    void proposeAllKeepsABatchTogetherAndInOrder_readAllAnswersEachQuery() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 3).startAll()) {
            RaftServer leader = c.awaitLeader();
            await(leader.propose(bytes("first")));
            for (RaftServer server : List.of(c.followersOf(leader).get(0), leader)) {
                List<byte[]> commands = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    commands.add(bytes(server.id() + "-" + i));
                }
                List<CompletableFuture<byte[]>> futures = server.proposeAll(commands);
                assertEquals(50, futures.size());
                long firstIndex = Long.parseLong(string(await(futures.get(0))).split(":")[0]);
                for (int i = 1; i < 50; i++) {
                    assertEquals(firstIndex + i, Long.parseLong(string(await(futures.get(i))).split(":")[0]),
                            "command " + i + " of the batch is right behind the one before it in the log");
                }
                List<byte[]> queries = List.of(bytes("x"), bytes("y"));
                for (ReadLevel level : ReadLevel.values()) {
                    List<CompletableFuture<byte[]>> reads = server.readAll(queries, level);
                    for (int i = 0; i < queries.size(); i++) {
                        assertEquals(string(await(server.read(queries.get(i), ReadLevel.STALE))),
                                string(await(reads.get(i))), level + " read " + i);
                    }
                }
            }
        }
    }

    @Test
    void followersForwardProposalsToTheLeader_andAnswerWithTheirOwnApplyResult() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 2).startAll()) {
            RaftServer leader = c.awaitLeader();
            await(leader.propose(bytes("first")));
            List<CompletableFuture<byte[]>> results = new ArrayList<>();
            for (RaftServer follower : c.followersOf(leader)) {
                for (int i = 0; i < 20; i++) {
                    results.add(follower.propose(bytes(follower.id() + "-" + i)));
                }
            }
            for (CompletableFuture<byte[]> f : results) {
                await(f); // "<index>:<size>" from the follower's own state machine
            }
            c.awaitConverged(41, c.ids);
            List<String> values = c.stateMachines.get(leader.id()).values();
            for (RaftServer follower : c.followersOf(leader)) {
                for (int i = 0; i < 20; i++) {
                    String v = follower.id() + "-" + i;
                    assertEquals(1, values.stream().filter(v::equals).count(), v + " applied exactly once: " + values);
                }
            }
            // The result names the index the command was applied at, the same on every replica (§5.4.3).
            String r = string(await(c.followersOf(leader).get(0).propose(bytes("last"))));
            long index = Long.parseLong(r.split(":")[0]);
            c.awaitConverged(42, c.ids);
            assertEquals(42, Integer.parseInt(r.split(":")[1]));
            assertTrue(c.stateMachines.get(leader.id()).appliedIndexes().contains(index), r);
            assertTrue(c.registry.get("raft.proposals").tag("result", "forwarded").tag("node",
                    c.followersOf(leader).get(0).id()).counter().count() >= 21);
        }
    }

    @Test
    void aFollowerCutOffFromItsLeader_holdsProposals_andHandsThemToTheNextLeader() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 9).startAll()) {
            RaftServer old = c.awaitLeader();
            await(old.propose(bytes("before")));
            RaftServer follower = c.followersOf(old).get(0);
            c.network.disconnect(old.id()); // what a crashed leader looks like: its connections are gone
            // The follower still believes in the old leader for an election timeout, but cannot reach it: the write
            // waits for the next leader instead of going into the void or failing at once.
            CompletableFuture<byte[]> during = follower.propose(bytes("during"));
            RaftServer next = c.awaitLeader(10_000, c.idsExcept(old.id()));
            assertNotEquals(old.id(), next.id());
            await(during);
            c.network.heal();
            c.awaitConverged(2, c.ids);
            assertEquals(List.of("before", "during"), c.stateMachines.get(old.id()).values());
        }
    }

    @Test
    void aForwardedBatchWhoseAnswerIsLost_endsAsOutcomeUnknown_andIsAppliedAtMostOnce() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 10).startAll()) {
            RaftServer leader = c.awaitLeader();
            await(leader.propose(bytes("before")));
            RaftServer follower = c.followersOf(leader).get(0);
            c.dropIf = m -> m instanceof io.raftkv.core.message.ForwardResponse;
            // The leader appends and commits it, but the follower never learns where: after the leader wait
            // (4 election timeouts of 10 ticks of 50 ms) the outcome is unknown, never "not applied".
            Throwable t = causeWithin(follower.propose(bytes("lost-answer")), 10);
            assertInstanceOf(OutcomeUnknownException.class, t, String.valueOf(t));
            c.dropIf = m -> false;
            await(follower.propose(bytes("after")));
            c.awaitConverged(3, c.ids);
            assertEquals(List.of("before", "lost-answer", "after"), c.stateMachines.get(follower.id()).values());
        }
    }

    @Test
    void reads_linearizableOnLeaderAndFollowers_leaseOnLeader_staleAnywhere() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 3).startAll()) {
            RaftServer leader = c.awaitLeader();
            await(leader.propose(bytes("a")));
            await(leader.propose(bytes("b")));
            // A linearizable read anywhere sees every write acknowledged before it started (thesis §6.4).
            assertEquals("a,b", string(await(leader.read(bytes("q"), ReadLevel.LINEARIZABLE))));
            for (RaftServer f : c.followersOf(leader)) {
                assertEquals("a,b", string(await(f.read(bytes("q"), ReadLevel.LINEARIZABLE))));
            }
            assertEquals("a,b", string(await(leader.read(bytes("q"), ReadLevel.LEASE))));
            // LEASE on a follower falls back to ReadIndex.
            assertEquals("a,b", string(await(c.followersOf(leader).get(0).read(bytes("q"), ReadLevel.LEASE))));
            // STALE: eventually the followers' local state has it too.
            for (RaftServer f : c.followersOf(leader)) {
                ServerTestSupport.await(() -> string(f.read(bytes("q"), ReadLevel.STALE).join()).equals("a,b"),
                        5000, "stale read on " + f.id());
            }
        }
    }

    @Test
    void isolatedFollower_linearizableReadFailsWithRetryableNotLeader() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 4).startAll()) {
            RaftServer leader = c.awaitLeader();
            RaftServer follower = c.followersOf(leader).get(0);
            c.network.disconnect(follower.id());
            Throwable t = cause(follower.read(bytes("q")));
            assertInstanceOf(NotLeaderException.class, t, String.valueOf(t));
            c.network.heal();
        }
    }

    @Test
    void leaderIsolation_newLeaderTakesOver_writesContinue_deposedLeadersPendingProposalsHaveUnknownOutcome()
            throws Exception {
        try (LocalCluster c = new LocalCluster(3, 5).startAll()) {
            RaftServer old = c.awaitLeader();
            await(old.propose(bytes("before")));
            c.network.disconnect(old.id());
            // Appended by a leader that can no longer reach a majority: it never commits there.
            List<CompletableFuture<byte[]>> stranded = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                stranded.add(old.propose(bytes("stranded" + i)));
            }
            RaftServer next = c.awaitLeader(10_000, c.idsExcept(old.id()));
            assertNotEquals(old.id(), next.id());
            assertTrue(next.status().term() > 1);
            await(next.propose(bytes("after")));

            // Check-quorum (thesis §6.2) deposes the old leader; its proposals end as "outcome unknown".
            for (CompletableFuture<byte[]> f : stranded) {
                Throwable t = cause(f);
                assertTrue(t instanceof OutcomeUnknownException || t instanceof NotLeaderException, String.valueOf(t));
            }
            assertTrue(stranded.stream().anyMatch(f -> cause(f) instanceof OutcomeUnknownException),
                    "at least the first proposal was appended before the step-down");
            ServerTestSupport.await(() -> old.status().role() != Role.LEADER, 5000, "old leader stepped down");

            c.network.heal();
            c.awaitConverged(2, c.ids);
            assertEquals(List.of("before", "after"), c.stateMachines.get(old.id()).values(),
                    "the deposed leader's uncommitted entries were overwritten (§5.3)");
        }
    }

    @Test
    void restartFromTheSameStores_resumesWithTheSameState() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 6).startAll()) {
            RaftServer leader = c.awaitLeader();
            for (int i = 0; i < 10; i++) {
                await(leader.propose(bytes("v" + i)));
            }
            c.awaitConverged(10, c.ids);
            long termBefore = leader.status().term();
            List<String> before = c.stateMachines.get("n1").values();
            for (String id : c.ids) {
                c.stop(id);
            }
            for (String id : c.ids) {
                assertTrue(!c.server(id).isRunning());
                c.start(id);
            }
            RaftServer again = c.awaitLeader();
            assertTrue(again.status().term() > termBefore, "terms survive the restart");
            // The fresh state machines replay the committed log.
            assertEquals(String.join(",", before), string(await(again.read(bytes("q")))));
            await(again.propose(bytes("v10")));
            c.awaitConverged(11, c.ids);
        }
    }

    @Test
    void restartedFollowerCatchesUp() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 7).startAll()) {
            RaftServer leader = c.awaitLeader();
            RaftServer follower = c.followersOf(leader).get(0);
            await(leader.propose(bytes("a")));
            c.stop(follower.id());
            await(leader.propose(bytes("b"))); // a majority (leader + the other follower) is still up
            c.start(follower.id());
            c.awaitConverged(2, c.ids);
        }
    }

    @Test
    void shutdownOfALeaderWithProposalsInFlight_completesEveryFutureExactlyOnce() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 8).startAll()) {
            RaftServer leader = c.awaitLeader();
            c.network.disconnect(leader.id()); // nothing can commit now
            List<CompletableFuture<byte[]>> futures = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger completions = new java.util.concurrent.atomic.AtomicInteger();
            for (int i = 0; i < 50; i++) {
                CompletableFuture<byte[]> f = leader.propose(bytes("p" + i));
                f.whenComplete((r, e) -> completions.incrementAndGet());
                futures.add(f);
            }
            leader.close();
            for (CompletableFuture<byte[]> f : futures) {
                assertTrue(f.isDone());
                try {
                    f.get();
                    throw new AssertionError("nothing could commit, yet a proposal succeeded");
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof RaftException || e.getCause() instanceof NotLeaderException,
                            String.valueOf(e.getCause()));
                }
            }
            assertEquals(50, completions.get());
            assertInstanceOf(ShutdownException.class, cause(leader.propose(bytes("late"))));
            c.network.heal();
        }
    }
}
