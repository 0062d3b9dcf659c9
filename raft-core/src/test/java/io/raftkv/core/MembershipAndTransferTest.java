package io.raftkv.core;

import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Thesis chapter 4 (single-server membership changes) and §3.10 (leadership transfer), rule by rule. */
class MembershipAndTransferTest {

    private static final RaftOptions NO_AUTO_PROMOTE = RaftOptions.defaults().withAutoPromoteLearners(false, 0);

    @Test
    void membershipChangeWaitsForACommittedEntryOfTheLeadersTerm() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.node("n1").campaign();
        c.take(m -> m instanceof VoteRequest).forEach(m -> c.node(m.to()).step(m));
        c.take(m -> m instanceof VoteResponse).forEach(m -> c.node("n1").step(m));
        c.processReadies();
        c.take(m -> m instanceof VoteRequest).forEach(m -> c.node(m.to()).step(m));
        c.take(m -> m instanceof VoteResponse).forEach(m -> c.node("n1").step(m));
        assertEquals(Role.LEADER, c.node("n1").role());
        ProposalRejectedException e = assertThrows(ProposalRejectedException.class,
                () -> c.node("n1").changeMembership(new MembershipChange.AddLearner("n4", "")));
        assertTrue(e.getMessage().contains("not yet committed an entry of its term"), e.getMessage());
        c.stabilize();
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n4", ""));
    }

    @Test
    void onlyOneUncommittedMembershipChangeAtATime() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n4", ""));
        ProposalRejectedException e = assertThrows(ProposalRejectedException.class,
                () -> c.node("n1").changeMembership(new MembershipChange.AddLearner("n5", "")));
        assertTrue(e.getMessage().contains("not yet committed"), e.getMessage());
        c.stabilize();
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n5", ""));
    }

    @Test
    void configurationTakesEffectWhenAppendedNotWhenCommitted() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n4", ""));
        assertTrue(c.node("n1").configuration().contains("n4"), "the leader uses it at once");
        List<RaftMessage> appends = c.take(m -> m instanceof AppendEntriesRequest && m.to().equals("n2"));
        appends.forEach(m -> c.node("n2").step(m));
        assertTrue(c.node("n2").configuration().contains("n4"), "a follower uses it as soon as it is in its log");
        assertTrue(c.node("n2").commitIndex() < c.node("n2").configurationIndex(), "...before it is committed");
    }

    @Test
    void truncatedConfigurationEntryRevertsToThePreviousConfiguration() {
        TestCluster c = new TestCluster(RaftOptions.defaults().withPreVote(false).withCheckQuorum(false), "n1", "n2", "n3");
        c.elect("n1");
        long term = c.node("n1").currentTerm();
        byte[] withN4 = c.configuration.with(io.raftkv.core.cluster.Member.learner("n4", "")).encode();
        long last = c.node("n2").lastLogIndex();
        c.node("n2").step(new AppendEntriesRequest("n1", "n2", term, last, term,
                List.of(new LogEntry(last + 1, term, EntryType.CONFIGURATION, withN4)), c.node("n2").commitIndex(), 0));
        assertTrue(c.node("n2").configuration().contains("n4"));
        // A new leader of a later term never had that entry and overwrites it.
        c.node("n2").step(new AppendEntriesRequest("n3", "n2", term + 1, last, term,
                List.of(LogEntry.noop(last + 1, term + 1)), c.node("n2").commitIndex(), 0));
        assertFalse(c.node("n2").configuration().contains("n4"), "the configuration in effect is the latest in the log");
    }

    @Test
    void learnerReceivesTheLogButNeitherVotesNorCountsTowardsQuorum() {
        TestCluster c = new TestCluster(NO_AUTO_PROMOTE, "n1", "n2", "n3");
        c.elect("n1");
        c.addNode("n4");
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n4", ""));
        c.stabilize();
        c.tickAll(3);
        assertEquals(c.node("n1").lastLogIndex(), c.node("n4").lastLogIndex(), "the learner caught up");
        assertFalse(c.node("n4").configuration().isVoter("n4"));
        // With n2 and n3 down, n1 + learner n4 are not a majority: nothing commits.
        c.isolated.add("n2");
        c.isolated.add("n3");
        long commit = c.node("n1").commitIndex();
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        assertEquals(commit, c.node("n1").commitIndex());
        // And the learner never campaigns.
        for (int i = 0; i < 100; i++) {
            c.node("n4").tick();
        }
        assertEquals(Role.FOLLOWER, c.node("n4").role());
    }

    @Test
    void aServerRemovedAndAddedAgainUnderTheSameIdStartsWithAFreshProgress() {
        TestCluster c = new TestCluster(NO_AUTO_PROMOTE, "n1", "n2", "n3");
        c.elect("n1");
        for (int i = 0; i < 5; i++) {
            c.node("n1").propose(new byte[] {(byte) i});
        }
        c.node("n1").changeMembership(new MembershipChange.Remove("n3"));
        c.stabilize();
        // Committed, but the leader keeps n3's progress for an election timeout, so that n3 learns of its removal.
        long oldMatch = c.node("n1").matchIndexes().get("n3");
        assertTrue(oldMatch > 5, "test setup: n3 had the log, match " + oldMatch);
        // The machine is replaced by an empty one under the same id, and added back before that timeout ran out.
        c.addNode("n3");
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n3", ""));
        assertEquals(0L, c.node("n1").matchIndexes().get("n3"),
                "an old matchIndex would count the empty server for entries it does not hold (§5.4)");
        c.stabilize();
        c.tickAll(3);
        assertEquals(c.node("n1").lastLogIndex(), c.node("n3").lastLogIndex(), "and it catches up from scratch");
    }

    @Test
    void learnerIsPromotedToVoterOnceCaughtUp() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.addNode("n4");
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n4", ""));
        c.stabilize();
        c.tickAll(5);
        assertTrue(c.node("n1").configuration().isVoter("n4"));
        assertTrue(c.node("n4").configuration().isVoter("n4"));
        assertEquals(3, c.node("n1").configuration().quorumSize());
    }

    @Test
    void removedLeaderLeadsUntilTheChangeCommitsThenStepsDown() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").changeMembership(new MembershipChange.Remove("n1"));
        assertEquals(Role.LEADER, c.node("n1").role(), "still leading while the change is uncommitted");
        c.stabilize();
        assertEquals(Role.FOLLOWER, c.node("n1").role());
        c.tickAll(40);
        RaftNode newLeader = c.nodes.values().stream().filter(n -> n.role() == Role.LEADER).findFirst().orElseThrow();
        assertFalse(newLeader.id().equals("n1"));
        assertFalse(newLeader.configuration().contains("n1"));
        newLeader.propose(new byte[] {5});
        c.stabilize();
        assertEquals(newLeader.lastLogIndex(), newLeader.commitIndex(), "two remaining voters commit");
    }

    @Test
    void removedLeaderKeepsCampaigningUntilItsRemovalCommits() {
        // Thesis §4.2.2, found by raft-sim: {n1, n3}; leader n1 removes itself, then loses n3 before the change
        // commits and steps down. n3 lacks the entry and needs n1's vote, which n1 rightly refuses (its log is more
        // up to date); only n1 campaigning (without counting its own vote) can finish the change.
        TestCluster c = new TestCluster("n1", "n3");
        c.elect("n1");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        c.isolated.add("n3");
        c.node("n1").changeMembership(new MembershipChange.Remove("n1"));
        for (int i = 0; i < 3 * c.options.electionTimeoutTicks(); i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        assertEquals(Role.FOLLOWER, c.node("n1").role(), "check-quorum deposed it before the change committed");
        c.isolated.clear();
        c.tickAll(100);
        assertTrue(c.node("n3").configuration().voterIds().equals(java.util.Set.of("n3")), "the removal completed");
        assertEquals(Role.LEADER, c.node("n3").role());
        assertTrue(c.node("n3").commitIndex() >= c.node("n3").configurationIndex());
        c.tickAll(50);
        assertEquals(Role.FOLLOWER, c.node("n1").role(), "once its removal committed it stops campaigning");
    }

    @Test
    void removedServerNeverCampaigns() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").changeMembership(new MembershipChange.Remove("n3"));
        c.stabilize();
        c.isolated.add("n3");
        for (int i = 0; i < 200; i++) {
            c.node("n3").tick();
            c.stabilize();
        }
        assertEquals(Role.FOLLOWER, c.node("n3").role());
        assertTrue(c.delivered.stream().noneMatch(m -> m.from().equals("n3") && m instanceof VoteRequest));
    }

    @Test
    void leadershipTransferSendsTimeoutNowToAnUpToDateTargetWhichWins() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        c.node("n1").transferLeadership("n2");
        assertThrows(ProposalRejectedException.class, () -> c.node("n1").propose(new byte[] {2}),
                "the leader stops accepting proposals during a transfer");
        List<RaftMessage> timeoutNow = c.take(m -> m instanceof TimeoutNow);
        assertEquals(1, timeoutNow.size());
        timeoutNow.forEach(m -> c.node(m.to()).step(m));
        c.stabilize();
        assertEquals(Role.LEADER, c.node("n2").role(), "the target wins despite the voters' leader stickiness");
        assertEquals(Role.FOLLOWER, c.node("n1").role());
    }

    @Test
    void leadershipTransferFirstBringsALaggingTargetUpToDate() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.isolated.add("n3");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        c.isolated.clear();
        c.node("n1").transferLeadership("n3");
        assertTrue(c.take(m -> m instanceof TimeoutNow).isEmpty(), "not before n3 has every entry");
        for (int i = 0; i < 3 && c.node("n1").role() == Role.LEADER; i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        assertEquals(Role.LEADER, c.node("n3").role());
    }

    @Test
    void leadershipTransferIsAbortedAfterAnElectionTimeout() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.isolated.add("n3");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        c.node("n1").transferLeadership("n3");
        for (int i = 0; i < c.options.electionTimeoutTicks(); i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        assertNull(c.node("n1").transferTarget());
        assertEquals(Role.LEADER, c.node("n1").role());
        c.node("n1").propose(new byte[] {2});
    }

    @Test
    void leaseStaysOffAfterATimeoutNowEvenWhenTheTransferIsAborted() {
        // n1 starts a transfer to the lagging n2; n2 catches up late, so the TimeoutNow leaves just before the
        // transfer would time out, right after a heartbeat round the majority acknowledged. Then n1 is cut off and
        // n2 wins with n3's vote (the transfer flag bypasses stickiness). n1 aborts the transfer and, until
        // check-quorum deposes it, still believes it leads with recent acknowledgements: its lease must not come
        // back, or lease reads would miss n2's writes.
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.isolated.add("n2");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        c.node("n1").tick(); // a heartbeat round the majority (n1, n3) acknowledges
        c.stabilize();
        assertTrue(c.node("n1").leaseValid(), "a settled leader holds the lease");
        c.node("n1").transferLeadership("n2");
        int et = c.options.electionTimeoutTicks();
        for (int i = 0; i < et - 3; i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        c.isolated.clear();
        c.node("n1").tick();
        List<RaftMessage> timeoutNow = c.stabilizeHolding(m -> m instanceof TimeoutNow);
        assertEquals(1, timeoutNow.size(), "n2 caught up and the TimeoutNow left");
        assertEquals("n2", c.node("n1").transferTarget(), "the transfer has not timed out yet");
        c.isolated.add("n1");
        timeoutNow.forEach(m -> c.node(m.to()).step(m));
        c.stabilize();
        assertEquals(Role.LEADER, c.node("n2").role());
        c.node("n2").propose(new byte[] {2});
        c.stabilize();
        boolean abortedWhileLeading = false;
        for (int i = 0; i < 2 * et && c.node("n1").role() == Role.LEADER; i++) {
            c.node("n1").tick();
            c.stabilize();
            abortedWhileLeading |= c.node("n1").role() == Role.LEADER && c.node("n1").transferTarget() == null;
            assertFalse(c.node("n1").leaseValid(), "tick " + i + ": the lease is off once a TimeoutNow left");
        }
        assertTrue(abortedWhileLeading, "the scenario needs n1 to lead on after the abort");
    }

    @Test
    void leaseStaysOffForTheTermAfterAnAbortedTransferWhoseTimeoutNowWasLost() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        c.node("n1").tick();
        c.stabilize();
        assertTrue(c.node("n1").leaseValid(), "a settled leader holds the lease");
        c.node("n1").transferLeadership("n2");
        assertEquals(1, c.take(m -> m instanceof TimeoutNow).size()); // lost: n2 never campaigns
        for (int i = 0; i < 2 * c.options.electionTimeoutTicks(); i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        assertNull(c.node("n1").transferTarget(), "aborted");
        assertEquals(Role.LEADER, c.node("n1").role(), "still leading with fresh acknowledgements");
        assertFalse(c.node("n1").leaseValid(), "but without a lease until the next term");
    }

    @Test
    void staleTransferHeartbeatRepliesDoNotConfuseTheLeader() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        long term = leader.currentTerm();
        leader.step(AppendEntriesResponse.accept("n2", "n1", term, 0, 0, 0));
        assertEquals(Role.LEADER, leader.role());
    }
}
