package io.raftkv.core.server;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.raftkv.core.server.RaftServerDriverTest.cause;
import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static io.raftkv.core.server.RegisterStateMachine.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Membership changes (thesis §4.1) and leadership transfer (thesis §3.10) through the driver. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RaftServerMembershipTest {

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aNewServerJoinsAsLearner_catchesUp_isPromoted_andAFollowerIsRemoved() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 11).startAll()) {
            RaftServer leader = c.awaitLeader();
            await(leader.propose(bytes("a")));
            await(leader.propose(bytes("b")));

            c.addServer("n4");
            await(leader.changeMembership(new MembershipChange.AddLearner("n4", "")));
            c.awaitConverged(2, List.of("n1", "n2", "n3", "n4"));
            // The leader promotes a learner once it has caught up (thesis §4.2.1).
            ServerTestSupport.await(() -> leader.status().members().stream()
                    .anyMatch(m -> m.id().equals("n4") && m.voter()), 10_000, "n4 promoted to voter");

            String removed = c.followersOf(leader).stream().map(RaftServer::id).filter(id -> !id.equals("n4"))
                    .findFirst().orElseThrow();
            // One change at a time: wait until the promotion is applied everywhere before the next one.
            ServerTestSupport.await(() -> {
                try {
                    await(leader.changeMembership(new MembershipChange.Remove(removed)));
                    return true;
                } catch (Exception e) {
                    assertInstanceOf(ProposalRejectedException.class, e.getCause(), String.valueOf(e.getCause()));
                    return false;
                }
            }, 10_000, "removal of " + removed + " accepted");
            ServerTestSupport.await(() -> leader.status().members().size() == 3
                    && leader.status().members().stream().noneMatch(m -> m.id().equals(removed)), 5000,
                    "configuration without " + removed);
            c.stop(removed);
            // A majority of the new configuration {leader, other, n4} keeps committing.
            await(leader.propose(bytes("c")));
            List<String> remaining = leader.status().members().stream().map(RaftStatus.MemberStatus::id).toList();
            c.awaitConverged(3, remaining);
        }
    }

    @Test
    void reconfigure_replacesTheLeaderAndAnotherVoterInOneStep_andCompletesOnceCNewIsCommitted() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 14).startAll()) {
            RaftServer leader = c.awaitLeader();
            await(leader.propose(bytes("a")));
            for (String id : List.of("n4", "n5")) {
                c.addServer(id);
                untilAccepted(() -> leader.changeMembership(new MembershipChange.AddLearner(id, "")), "add " + id);
            }
            c.awaitConverged(1, List.of("n1", "n2", "n3", "n4", "n5"));
            String kept = c.followersOf(leader).stream().map(RaftServer::id).filter(id -> !id.equals("n4")
                    && !id.equals("n5")).findFirst().orElseThrow();
            Set<String> target = Set.of(kept, "n4", "n5");
            // Auto-promotion of n4/n5 may still be pending: the change is refused (CHANGE_IN_PROGRESS) until it ends.
            Configuration[] result = new Configuration[1];
            untilAccepted(() -> leader.reconfigure(target, Set.of()).thenAccept(cNew -> result[0] = cNew),
                    "reconfigure to " + target);
            assertEquals(target, result[0].voterIds(), "completes with C_new");
            assertFalse(result[0].isJoint());
            assertTrue(result[0].allIds().equals(target), "the removed servers are gone: " + result[0]);
            // A leader outside C_new steps down once C_new commits (§6); one of C_new takes over.
            RaftServer next = c.awaitLeader(10_000, target);
            assertTrue(target.contains(next.id()));
            assertEquals("a,b", string(await(next.propose(bytes("b")).thenCompose(r -> next.read(bytes("q"))))));
            for (String id : target) {
                ServerTestSupport.await(() -> c.server(id).status().joint() == null
                        && c.server(id).status().members().size() == 3, 5000, id + " left the joint configuration");
            }
            assertFalse(leader.status().isLeader(), "the old leader stepped down");
        }
    }

    /** Retries {@code change} while the leader refuses it for now (another change pending, a learner catching up). */
    private static void untilAccepted(java.util.function.Supplier<CompletableFuture<?>> change, String what)
            throws Exception {
        ServerTestSupport.await(() -> {
            try {
                await(change.get());
                return true;
            } catch (Exception e) {
                ProposalRejectedException r = assertInstanceOf(ProposalRejectedException.class, e.getCause(),
                        String.valueOf(e.getCause()));
                assertNotEquals(ProposalRejectedException.Reason.INVALID, r.reason(), r.getMessage());
                return false;
            }
        }, 10_000, what + " accepted");
    }

    @Test
    void changeMembershipOnAFollower_failsWithTheLeadersId() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 12).startAll()) {
            RaftServer leader = c.awaitLeader();
            RaftServer follower = c.followersOf(leader).get(0);
            NotLeaderException e = assertInstanceOf(NotLeaderException.class,
                    cause(follower.changeMembership(new MembershipChange.AddLearner("n9", ""))));
            assertEquals(leader.id(), e.leaderId());
            assertInstanceOf(ProposalRejectedException.class,
                    cause(leader.changeMembership(new MembershipChange.Remove("nobody"))));
        }
    }

    @Test
    void leadershipTransfer_movesLeadershipToTheTarget_andWritesContinueThere() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 13).startAll()) {
            RaftServer leader = c.awaitLeader();
            await(leader.propose(bytes("a")));
            String target = c.followersOf(leader).get(0).id();
            await(leader.transferLeadership(target));
            ServerTestSupport.await(() -> c.server(target).status().isLeader(), 10_000, target + " leads");
            RaftServer next = c.awaitLeader(10_000, c.ids);
            assertEquals(target, next.id());
            assertNotEquals(leader.id(), next.id());
            assertEquals("a,b", string(await(next.propose(bytes("b")).thenCompose(r -> next.read(bytes("q"))))));
            assertTrue(leader.status().term() >= 2);
        }
    }
}
