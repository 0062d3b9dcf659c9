package io.raftkv.core;

import io.raftkv.core.message.ForwardRequest;
import io.raftkv.core.message.ForwardResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The follower side of client requests, rule by rule: a follower hands client commands to the leader as one
 * batch ({@link RaftNode#forward}, etcd-io/raft's {@code MsgProp}) and asks it for read indexes (thesis §6.4); the
 * leader appends a batch once and says where, and confirms a read index only with a heartbeat round.
 */
class ForwardingTest {

    private static final RaftOptions NO_PREVOTE = RaftOptions.defaults().withPreVote(false);

    private static List<byte[]> commands(String... values) {
        List<byte[]> out = new ArrayList<>();
        for (String v : values) {
            out.add(v.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void theLeaderAppendsAForwardedBatchAtConsecutiveIndexesOfItsTerm_andSaysWhere() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        long before = leader.lastLogIndex();
        c.node("n2").forward(7, commands("a", "b", "c"));
        c.stabilize();
        List<ForwardResult> answers = c.forwards.get("n2");
        assertEquals(1, answers.size());
        ForwardResult r = answers.get(0);
        assertTrue(r.isAccepted(), String.valueOf(r));
        assertEquals(7, r.batchId());
        assertEquals(before + 1, r.firstIndex());
        assertEquals(3, r.count());
        assertEquals(leader.currentTerm(), r.term());
        // Each command took effect at its index with that term on every server (Log Matching, §5.3).
        for (String id : c.nodes.keySet()) {
            List<LogEntry> applied = c.applied.get(id);
            for (int k = 0; k < 3; k++) {
                Proposal p = r.proposal(k);
                LogEntry e = applied.stream().filter(x -> x.index() == p.index()).findFirst().orElseThrow();
                assertEquals(p.term(), e.term());
                assertArrayEquals(commands("a", "b", "c").get(k), e.data());
            }
        }
    }

    @Test
    void aBatchDeliveredTwiceIsAppendedOnce_andAnsweredAgainWithTheSamePlacement() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        c.node("n2").forward(9, commands("x"));
        List<RaftMessage> requests = c.take(m -> m instanceof ForwardRequest);
        assertEquals(1, requests.size());
        leader.step(requests.get(0));
        leader.step(requests.get(0)); // the transport may duplicate a message
        c.stabilize();
        List<ForwardResult> answers = c.forwards.get("n2");
        assertEquals(2, answers.size());
        assertEquals(answers.get(0), answers.get(1));
        long copies = c.appliedCommands("n3").stream().filter(b -> new String(b, StandardCharsets.UTF_8).equals("x"))
                .count();
        assertEquals(1, copies, "a client's command enters the log once, however often its batch arrives");
    }

    @Test
    void aServerThatIsNotLeaderRefusesAForwardedBatchWhole_namingTheLeader() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        c.elect("n1");
        c.node("n3").step(new ForwardRequest("n2", "n3", c.node("n3").currentTerm(), 4, commands("a", "b")));
        List<RaftMessage> out = c.take(m -> m instanceof ForwardResponse);
        ForwardResponse r = (ForwardResponse) out.get(0);
        assertFalse(r.isAccepted());
        assertTrue(r.rejection().contains("leader is n1"), r.rejection());
        assertEquals(0, r.firstIndex());
    }

    @Test
    void aForwardInAStaleTermIsRefused_andTheRefusalTeachesTheSenderTheTerm() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        long term = leader.currentTerm();
        long last = leader.lastLogIndex();
        // §5.1: a request with a stale term is rejected with the current term.
        leader.step(new ForwardRequest("n2", "n1", term - 1, 5, commands("old")));
        assertEquals(last, leader.lastLogIndex(), "nothing appended");
        ForwardResponse r = (ForwardResponse) c.take(m -> m instanceof ForwardResponse).get(0);
        assertFalse(r.isAccepted());
        assertEquals(term, r.term());
    }

    @Test
    void duringALeadershipTransferTheLeaderRefusesForwardedBatches() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        c.isolated.add("n3"); // the target cannot catch up, so the transfer stays in progress
        leader.transferLeadership("n3");
        c.node("n2").forward(11, commands("during"));
        c.stabilize();
        ForwardResult r = c.forwards.get("n2").get(0);
        assertFalse(r.isAccepted());
        assertTrue(r.rejection().contains("transfer"), r.rejection()); // thesis §3.10
    }

    @Test
    void aFollowerWithoutALeaderCannotForward() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        assertNull(c.node("n2").leaderId());
        assertThrows(NotLeaderException.class, () -> c.node("n2").forward(1, commands("x")));
    }

    @Test
    void theLeaderItselfAppendsAForwardAtOnce() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        long last = leader.lastLogIndex();
        leader.forward(3, commands("self"));
        assertEquals(last + 1, leader.lastLogIndex());
        c.stabilize();
        assertEquals(new ForwardResult(3, last + 1, leader.currentTerm(), 1, null), c.forwards.get("n1").get(0));
    }

    @Test
    void anAnswerFromALeaderOfAnEarlierTermStillReachesTheDriver() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        long oldTerm = leader.currentTerm();
        c.node("n2").forward(21, commands("late"));
        leader.step(c.take(m -> m instanceof ForwardRequest).get(0));
        List<RaftMessage> answer = c.take(m -> m instanceof ForwardResponse);
        c.take(m -> true); // the rest of the old leader's traffic is lost
        // n2 moves on to a later term before the answer arrives.
        c.node("n2").step(new io.raftkv.core.message.AppendEntriesRequest("n3", "n2", oldTerm + 1, 0, 0, List.of(),
                0, 0));
        c.node("n2").step(answer.get(0));
        c.processReadies();
        ForwardResult r = c.forwards.get("n2").get(0);
        assertTrue(r.isAccepted(), "where the batch went stays true in every later term (Log Matching, §5.3)");
        assertEquals(oldTerm, r.term());
    }

    /**
     * Thesis §6.4: a follower's read index must come from a leader that proves, by a heartbeat round after the
     * request arrived, that it still leads. A deposed leader that has not heard of its successor cannot get that
     * round acknowledged, so it never hands out a (possibly stale) read index.
     */
    @Test
    void aDeposedLeaderNeverConfirmsAFollowersReadIndex() {
        // Without check-quorum, so that n3 votes for n2 at once (no leader stickiness, thesis §4.2.3).
        TestCluster c = new TestCluster(NO_PREVOTE.withCheckQuorum(false), "n1", "n2", "n3");
        RaftNode old = c.elect("n1");
        c.isolated.add("n1");
        c.node("n2").campaign();
        c.stabilize();
        assertEquals(Role.LEADER, c.node("n2").role());
        assertEquals(Role.LEADER, old.role(), "n1 has not heard of it yet");
        // n3's ReadIndex request reaches the deposed leader (it still thinks n1 leads its old term).
        old.step(new ReadIndexRequest("n3", "n1", old.currentTerm(), 77));
        c.processReadies();
        List<RaftMessage> answers = c.take(m -> m instanceof ReadIndexResponse r && r.success());
        assertTrue(answers.isEmpty(), "answered before a quorum confirmed: " + answers);
        // Its heartbeat round reaches the others, who reject it with their newer term: n1 steps down and the read
        // fails instead of being confirmed.
        c.isolated.remove("n1");
        c.stabilize();
        assertEquals(Role.FOLLOWER, old.role());
        assertTrue(c.delivered.stream().noneMatch(m -> m instanceof ReadIndexResponse r && r.success()
                && r.requestId() == 77), "never confirmed");
    }

    @Test
    void withTheReadMutation_aDeposedLeaderConfirmsAFollowersReadIndexAtOnce() {
        TestCluster c = new TestCluster(NO_PREVOTE.withCheckQuorum(false).withUnsafeMutation(
                RaftOptions.UnsafeMutation.CONFIRM_READS_WITHOUT_QUORUM), "n1", "n2", "n3");
        RaftNode old = c.elect("n1");
        c.isolated.add("n1");
        c.node("n2").campaign();
        c.stabilize();
        old.step(new ReadIndexRequest("n3", "n1", old.currentTerm(), 78));
        c.processReadies();
        assertEquals(1, c.take(m -> m instanceof ReadIndexResponse r && r.success()).size(),
                "the mutation skips the heartbeat round (the simulator's MutationTest shows the checker catches it)");
    }
}
