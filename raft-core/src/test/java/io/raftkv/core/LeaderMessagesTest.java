package io.raftkv.core;

import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.RaftMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leader sends each follower what it can use, once: a new commit index once, to those it can teach; a member
 * that just joined a probe at once, not at the next heartbeat. (Wasted messages are not unsafe; they cost every
 * follower a turn and, on a real network, bandwidth.)
 */
class LeaderMessagesTest {

    private static List<RaftMessage> to(String id, List<RaftMessage> messages) {
        return messages.stream().filter(m -> m.to().equals(id)).toList();
    }

    @Test
    void aNewCommitIndexIsAnnouncedOnce_andOnlyToFollowersItCanTeach() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        RaftNode n1 = c.elect("n1");
        n1.propose(new byte[] {1});
        List<RaftMessage> appends = c.take(m -> true);
        appends.forEach(m -> c.node(m.to()).step(m)); // n2 and n3 append 'x' at 2
        List<RaftMessage> answers = c.take(m -> true);
        RaftMessage fromN2 = answers.stream().filter(m -> m.from().equals("n2")).findFirst().orElseThrow();
        n1.step(fromN2); // n1 and n2 hold index 2: it commits

        List<RaftMessage> sent = c.take(m -> true);
        assertEquals(2, n1.commitIndex());
        List<RaftMessage> toN2 = to("n2", sent);
        assertEquals(1, toN2.size(), "one commit notice for n2, not one from the answer and one from the flush: " + toN2);
        AppendEntriesRequest notice = (AppendEntriesRequest) toN2.get(0);
        assertEquals(List.of(), notice.entries());
        assertEquals(2, notice.leaderCommit());
        // n3's acknowledgement of 2 is on its way: all a notice could tell it now is commit 1 (what it is known to
        // hold), which the AppendEntries it answered already carried.
        assertEquals(List.of(), to("n3", sent));

        RaftMessage fromN3 = answers.stream().filter(m -> m.from().equals("n3")).findFirst().orElseThrow();
        n1.step(fromN3);
        List<RaftMessage> toN3 = c.take(m -> true);
        assertEquals(1, toN3.size(), "n3 learns commit 2 from one notice once it is known to hold 2: " + toN3);
        assertEquals(2, ((AppendEntriesRequest) toN3.get(0)).leaderCommit());
    }

    @Test
    void aMemberThatJustJoinedIsProbedAtOnce() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        RaftNode n1 = c.elect("n1");
        c.addNode("n4");
        n1.changeMembership(new MembershipChange.AddLearner("n4", ""));
        List<RaftMessage> sent = c.take(m -> true);
        List<RaftMessage> toN4 = to("n4", sent);
        assertEquals(1, toN4.size(), "the first probe does not wait for the next heartbeat: " + toN4);
        AppendEntriesRequest probe = (AppendEntriesRequest) toN4.get(0);
        assertEquals(n1.lastLogIndex(), probe.prevLogIndex(), "it asks whether n4 holds the leader's last entry");
        assertEquals(List.of(), probe.entries());
        c.inFlight.addAll(sent);
        c.stabilize();
        assertEquals(n1.lastLogIndex(), c.node("n4").lastLogIndex(), "n4 caught up without a single tick");
    }

    @Test
    void aNewLeadersFollowersAreNotProbedTwice() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        RaftNode n1 = c.elect("n1");
        n1.tick(); // a heartbeat round: REPLICATE followers get heartbeats, nothing else
        List<RaftMessage> sent = c.take(m -> true);
        assertEquals(2, sent.size(), sent.toString());
        assertTrue(sent.stream().allMatch(m -> m instanceof AppendEntriesRequest r && r.entries().isEmpty()));
        sent.forEach(m -> c.node(m.to()).step(m));
        List<RaftMessage> answers = c.take(m -> true);
        assertTrue(answers.stream().allMatch(m -> m instanceof AppendEntriesResponse r && r.success()));
        answers.forEach(n1::step);
        assertEquals(List.of(), c.take(m -> true), "answers to heartbeats that teach nothing new ask for nothing");
    }

    @Test
    void aFollowerThatRefusesEntriesStillHearsFromItsLeaderEveryHeartbeat() {
        // A server out of disk space drops every AppendEntries that carries entries (RaftServer.onMessage). The
        // heartbeats must still reach it, probes included, or it would campaign against a healthy leader.
        TestCluster c = new TestCluster("n1", "n2", "n3");
        java.util.function.Predicate<RaftMessage> entriesToN3 =
                m -> m.to().equals("n3") && m instanceof AppendEntriesRequest r && !r.entries().isEmpty();
        c.node("n1").campaign();
        c.stabilizeHolding(entriesToN3);
        RaftNode n1 = c.node("n1");
        assertEquals(Role.LEADER, n1.role());
        long term = n1.currentTerm();
        int ticks = 3 * RaftOptions.defaults().electionTimeoutTicks();
        for (int i = 0; i < ticks; i++) {
            c.nodes.values().forEach(RaftNode::tick);
            c.stabilizeHolding(entriesToN3);
            assertEquals(Role.FOLLOWER, c.node("n3").role(), "tick " + i + ": n3 " + c.node("n3"));
        }
        assertEquals(term, n1.currentTerm());
        assertEquals(0, c.node("n3").lastLogIndex(), "n3 took no entries");

        c.tickAll(2); // space is back: the next rounds catch it up
        assertEquals(n1.lastLogIndex(), c.node("n3").lastLogIndex());
    }
}
