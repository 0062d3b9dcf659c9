package io.raftkv.core;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.SnapshotMeta;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Joint consensus (Raft §6, thesis §4.3), rule by rule: a {@link MembershipChange.Reconfigure} moves the cluster from
 * C_old to C_new through C_old,new, whose decisions need a majority of both.
 */
class JointConsensusTest {

    private static final RaftOptions NO_AUTO_PROMOTE = RaftOptions.defaults().withAutoPromoteLearners(false, 0);
    private static final RaftOptions NO_PREVOTE = NO_AUTO_PROMOTE.withPreVote(false);
    /** {n1,n2,n3} -> {n3,n4,n5}: two majorities with one server in common. */
    private static final Configuration SWAP = Configuration.joint(Configuration.ofVoterIds("n1", "n2", "n3"),
            Configuration.ofVoterIds("n3", "n4", "n5"));
    private static final MembershipChange.Reconfigure TO_N3_N4_N5 =
            new MembershipChange.Reconfigure(Set.of("n3", "n4", "n5"), Set.of());

    /** Voters n1, n2, n3 led by n1, and learners n4, n5 that have caught up. */
    private static TestCluster threeVotersTwoLearners() {
        TestCluster c = new TestCluster(NO_AUTO_PROMOTE, "n1", "n2", "n3");
        c.elect("n1");
        for (String learner : List.of("n4", "n5")) {
            c.addNode(learner);
            c.node("n1").changeMembership(new MembershipChange.AddLearner(learner, ""));
            c.stabilize();
        }
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        return c;
    }

    private static List<Configuration> configurationEntries(RaftNode n) {
        List<Configuration> out = new ArrayList<>();
        for (long i = n.firstLogIndex(); i <= n.lastLogIndex(); i++) {
            LogEntry e = n.logEntry(i);
            if (e.type() == EntryType.CONFIGURATION) {
                out.add(Configuration.decode(e.data()));
            }
        }
        return out;
    }

    private static RaftNode leaderOf(TestCluster c) {
        return c.nodes.values().stream().filter(n -> n.role() == Role.LEADER).findFirst()
                .orElseThrow(() -> new AssertionError("no leader"));
    }

    // ---------------------------------------------------------------- §6 majorities of both

    @Test
    void aJointConfigurationNeedsMajoritiesOfBothToElect() {
        TestCluster c = new TestCluster(NO_PREVOTE, SWAP);
        RaftNode n1 = c.node("n1");
        n1.campaign();
        List<RaftMessage> requests = c.take(m -> m instanceof VoteRequest);
        assertEquals(Set.of("n2", "n3", "n4", "n5"), requests.stream().map(RaftMessage::to).collect(
                java.util.stream.Collectors.toSet()), "votes are asked of the voters of both halves");
        long term = n1.currentTerm();
        n1.step(new VoteResponse("n4", "n1", term, true, false));
        n1.step(new VoteResponse("n5", "n1", term, true, false));
        assertEquals(Role.CANDIDATE, n1.role(), "n4 and n5 are a majority of C_new, but C_old has only n1's vote");
        n1.step(new VoteResponse("n2", "n1", term, true, false));
        assertEquals(Role.LEADER, n1.role(), "a majority of C_old (n1, n2) and one of C_new (n4, n5)");

        TestCluster other = new TestCluster(NO_PREVOTE, SWAP);
        RaftNode n2 = other.node("n2");
        n2.campaign();
        n2.step(new VoteResponse("n1", "n2", n2.currentTerm(), true, false));
        n2.step(new VoteResponse("n3", "n2", n2.currentTerm(), true, false));
        assertEquals(Role.CANDIDATE, n2.role(), "all of C_old, but only n3 of C_new {n3,n4,n5}");
        n2.step(new VoteResponse("n4", "n2", n2.currentTerm(), true, false));
        assertEquals(Role.LEADER, n2.role());
    }

    @Test
    void aCandidateLosesAJointElectionOnceEitherHalfHasRefused() {
        TestCluster c = new TestCluster(NO_PREVOTE, SWAP);
        RaftNode n1 = c.node("n1");
        n1.campaign();
        long term = n1.currentTerm();
        n1.step(new VoteResponse("n2", "n1", term, true, false));
        n1.step(new VoteResponse("n3", "n1", term, false, false));
        assertEquals(Role.CANDIDATE, n1.role(), "C_new may still say yes (n4, n5)");
        n1.step(new VoteResponse("n4", "n1", term, false, false));
        assertEquals(Role.FOLLOWER, n1.role(), "n3 and n4 refused: no majority of C_new is left to win");
    }

    @Test
    void aJointConfigurationNeedsMajoritiesOfBothToCommit() {
        // Only C_old's majority holds C_old,new (n1, n2, n3); of C_new {n3,n4,n5} only n3.
        assertJointEntryCommitsOnlyWithBothMajorities(Set.of("n4", "n5"));
        // Only C_new's majority holds it (n4, n5); of C_old {n1,n2,n3} only n1.
        assertJointEntryCommitsOnlyWithBothMajorities(Set.of("n2", "n3"));
    }

    private static void assertJointEntryCommitsOnlyWithBothMajorities(Set<String> cutOff) {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        c.isolated.addAll(cutOff);
        Proposal joint = n1.changeMembership(TO_N3_N4_N5);
        assertTrue(n1.configuration().isJoint(), "in effect once appended (thesis §4.1)");
        n1.propose(new byte[] {2});
        c.stabilize();
        for (String id : c.nodes.keySet()) {
            assertEquals(!cutOff.contains(id), c.node(id).lastLogIndex() > joint.index(), id + " holds it");
        }
        assertTrue(n1.commitIndex() < joint.index(), "not committed without " + cutOff);
        c.isolated.clear();
        n1.tick();
        c.stabilize();
        assertTrue(n1.commitIndex() > joint.index(), "a majority of each half now");
    }

    @Test
    void aLeaderOfAJointConfigurationStepsDownWithoutMajoritiesOfBoth() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        n1.changeMembership(TO_N3_N4_N5);
        c.isolated.addAll(Set.of("n4", "n5")); // C_old still answers: n2, n3
        c.stabilize();
        for (int i = 0; i < 2 * c.options.electionTimeoutTicks() && n1.role() == Role.LEADER; i++) {
            n1.tick();
            c.stabilize();
        }
        assertEquals(Role.FOLLOWER, n1.role(), "check-quorum (thesis §6.2) counts C_new's majority too");
    }

    @Test
    void aReadIndexWhileJointIsConfirmedByMajoritiesOfBoth() {
        assertReadConfirmedOnlyWithBothMajorities(Set.of("n4", "n5"));
        assertReadConfirmedOnlyWithBothMajorities(Set.of("n2", "n3"));
    }

    private static void assertReadConfirmedOnlyWithBothMajorities(Set<String> cutOff) {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        n1.changeMembership(TO_N3_N4_N5);
        n1.transferLeadership("n2"); // holds C_new back, so the reads below run in C_old,new
        c.isolated.add("n2"); // for good: the transfer never completes
        c.stabilize(); // C_old,new commits: n1, n3 | n3, n4, n5
        assertTrue(n1.configuration().isJoint() && n1.commitIndex() >= n1.configurationIndex());
        c.isolated.addAll(cutOff);
        c.reads.get("n1").clear();
        n1.readIndex(7);
        c.stabilize();
        assertTrue(c.reads.get("n1").isEmpty(), "unconfirmed without " + cutOff);
        c.isolated.removeAll(cutOff);
        c.isolated.add("n2");
        n1.tick();
        c.stabilize();
        assertEquals(List.of(7L), c.reads.get("n1").stream().map(ReadState::requestId).toList());
        assertTrue(c.reads.get("n1").get(0).success());
    }

    // ---------------------------------------------------------------- §6 leaving the joint configuration

    @Test
    void theLeaderAppendsCNewByItselfOnceTheJointConfigurationCommits() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        int before = configurationEntries(n1).size();
        Proposal joint = n1.changeMembership(TO_N3_N4_N5);
        c.stabilize();
        List<Configuration> appended = configurationEntries(n1).subList(before, configurationEntries(n1).size());
        assertEquals(2, appended.size(), "C_old,new then C_new, exactly once: " + appended);
        assertTrue(appended.get(0).isJoint());
        assertEquals(Set.of("n3", "n4", "n5"), appended.get(1).voterIds());
        assertFalse(appended.get(1).isJoint());
        for (RaftNode n : c.nodes.values()) {
            assertEquals(appended.get(1), n.configuration(), n.id() + " ends in C_new");
            assertTrue(n.commitIndex() > joint.index(), n.id() + " knows C_new committed");
        }
    }

    @Test
    void aLeaderOutsideCNewStepsDownOnceItCommits() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        n1.changeMembership(TO_N3_N4_N5);
        List<RaftMessage> held = c.stabilizeHolding(m -> carriesCNew(m) && Set.of("n4", "n5").contains(m.to()));
        assertFalse(held.isEmpty(), "test setup: C_new went out");
        assertFalse(n1.configuration().isJoint(), "n1 appended C_new...");
        assertEquals(Role.LEADER, n1.role(), "...and leads until it commits (§6)");
        assertTrue(n1.commitIndex() < n1.configurationIndex(),
                "n1, n2 and n3 hold C_new, but of its voters {n3,n4,n5} only n3: n1 does not count itself");
        held.forEach(m -> c.node(m.to()).step(m));
        c.stabilize();
        assertEquals(Role.FOLLOWER, n1.role(), "C_new committed: the leader outside it steps down");
        c.tickAll(40);
        RaftNode next = leaderOf(c);
        assertTrue(Set.of("n3", "n4", "n5").contains(next.id()), next.id() + " leads");
        c.isolated.addAll(Set.of("n1", "n2"));
        next.propose(new byte[] {9});
        c.stabilize();
        assertEquals(next.lastLogIndex(), next.commitIndex(), "C_new commits on its own");
        c.isolated.clear();
        c.tickAll(40);
        assertEquals(next, leaderOf(c), "the removed servers never disturb it once C_new is committed");
    }

    private static boolean carriesCNew(RaftMessage m) {
        return m instanceof AppendEntriesRequest a && a.entries().stream().anyMatch(e ->
                e.type() == EntryType.CONFIGURATION && !Configuration.decode(e.data()).isJoint());
    }

    @Test
    void aNewLeaderFinishesALeaveThatItsPredecessorStarted() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        Proposal joint = n1.changeMembership(TO_N3_N4_N5);
        // Everyone gets C_old,new, n1 learns it committed and appends C_new — which is lost with n1: it crashes
        // before sending it (etcd#12136: a cluster left joint by a leader change).
        c.stabilizeHolding(m -> m.from().equals("n1") && m instanceof AppendEntriesRequest a
                && a.entries().stream().anyMatch(e -> e.index() > joint.index()));
        assertEquals(joint.index() + 1, n1.lastLogIndex(), "n1 appended C_new");
        for (String id : List.of("n2", "n3", "n4", "n5")) {
            assertTrue(c.node(id).configuration().isJoint(), id + " is still joint");
        }
        c.isolated.add("n1");
        c.tickAll(40);
        RaftNode next = leaderOf(c);
        assertNotEquals("n1", next.id());
        List<Configuration> configs = configurationEntries(next);
        Configuration last = configs.get(configs.size() - 1);
        assertEquals(Set.of("n3", "n4", "n5"), last.voterIds(), "the new leader appended C_new");
        assertFalse(last.isJoint());
        assertTrue(configs.get(configs.size() - 2).isJoint(), "right after C_old,new: no second leave entry");
        assertTrue(next.commitIndex() >= next.configurationIndex(), "and committed it");
        if (!Set.of("n3", "n4", "n5").contains(next.id())) {
            c.tickAll(40);
            next = leaderOf(c);
        }
        assertTrue(Set.of("n3", "n4", "n5").contains(next.id()), "C_new is led by one of its voters");
    }

    @Test
    void aRestartedLeaderFinishesTheJointChangeInItsLog() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        Proposal joint = n1.changeMembership(TO_N3_N4_N5);
        // C_old,new reaches everyone, but n1 crashes before it hears back: no one knows it is committed.
        c.take(m -> m instanceof AppendEntriesRequest).forEach(m -> c.node(m.to()).step(m));
        c.take(m -> true);
        c.isolated.add("n1");
        for (String id : List.of("n2", "n3", "n4", "n5")) {
            c.restart(id);
            assertTrue(c.node(id).configuration().isJoint(), id + " reloads C_old,new from its log");
        }
        c.tickAll(40);
        RaftNode next = leaderOf(c);
        assertTrue(next.commitIndex() > joint.index(), "its no-op commits C_old,new...");
        assertEquals(Set.of("n3", "n4", "n5"), next.configuration().voterIds());
        assertFalse(next.configuration().isJoint(), "...and it moves on to C_new");
    }

    @Test
    void aTransferHoldsTheLeaveBackUntilItEnds() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        Proposal joint = n1.changeMembership(TO_N3_N4_N5);
        c.isolated.add("n2"); // the transfer target never takes over
        n1.transferLeadership("n2");
        c.stabilize();
        assertTrue(n1.commitIndex() >= joint.index());
        assertTrue(n1.configuration().isJoint(), "§3.10: no new entry during a transfer, C_new neither");
        for (int i = 0; i < c.options.electionTimeoutTicks() + 1; i++) {
            n1.tick();
            c.stabilize();
        }
        assertFalse(leaderOf(c).configuration().isJoint(), "once the transfer is abandoned, C_new follows");
    }

    // ---------------------------------------------------------------- thesis §4.1: newest configuration in the log

    @Test
    void aFollowerUsesAJointConfigurationOnceAppendedAndDropsItIfTruncated() {
        TestCluster c = new TestCluster(NO_PREVOTE.withCheckQuorum(false), "n1", "n2", "n3");
        c.elect("n1");
        long term = c.node("n1").currentTerm();
        long last = c.node("n2").lastLogIndex();
        Configuration joint = Configuration.joint(c.configuration,
                Configuration.ofVoterIds("n1", "n2", "n4"));
        c.node("n2").step(new AppendEntriesRequest("n1", "n2", term, last, term,
                List.of(new LogEntry(last + 1, term, EntryType.CONFIGURATION, joint.encode())),
                c.node("n2").commitIndex(), 0));
        assertEquals(joint, c.node("n2").configuration(), "uncommitted, yet in effect");
        c.node("n2").step(new AppendEntriesRequest("n3", "n2", term + 1, last, term,
                List.of(LogEntry.noop(last + 1, term + 1)), c.node("n2").commitIndex(), 0));
        assertEquals(c.configuration, c.node("n2").configuration(), "overwritten: the previous one again");
    }

    @Test
    void aJointConfigurationFromASnapshotIsFinishedByTheNextLeader() {
        Configuration joint = SWAP;
        InMemoryLogStore log = new InMemoryLogStore();
        log.reset(10, 2);
        RaftNode n = new RaftNode("n3", NO_PREVOTE, log, HardState.INITIAL,
                new SnapshotMeta(10, 2, joint), Configuration.EMPTY, new Random(3));
        assertEquals(joint, n.configuration(), "the snapshot's configuration is in effect");
        n.campaign();
        long term = n.currentTerm();
        for (String voter : List.of("n1", "n4")) {
            n.step(new VoteResponse(voter, "n3", term, true, false));
        }
        assertEquals(Role.LEADER, n.role());
        // A snapshot holds committed entries only: C_old,new is committed, and the new leader leaves at once.
        assertEquals(Configuration.ofVoterIds("n3", "n4", "n5"), n.configuration());
        assertEquals(12, n.configurationIndex(), "C_new right after the new leader's no-op");
        LogEntry leave = n.logEntry(12);
        assertEquals(EntryType.CONFIGURATION, leave.type());
    }

    // ---------------------------------------------------------------- thesis §4.2.1 learners, explicit errors

    @Test
    void learnersStayLearnersThroughAJointChangeUnlessNamed() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        n1.changeMembership(new MembershipChange.Reconfigure(Set.of("n1", "n2", "n4"), Set.of("n5")));
        c.stabilize();
        Configuration now = n1.configuration();
        assertEquals(Set.of("n1", "n2", "n4"), now.voterIds(), "n4 promoted by the joint step, n3 removed");
        assertEquals(Set.of("n1", "n2", "n4", "n5"), now.allIds());
        assertFalse(now.isVoter("n5"), "n5 named as a learner stays one");
        n1.tick();
        c.stabilize();
        assertFalse(n1.configuration().isVoter("n5"));
    }

    @Test
    void aLearnerThatHasNotCaughtUpIsNotPromoted() {
        TestCluster c = new TestCluster(NO_AUTO_PROMOTE, "n1", "n2", "n3");
        c.elect("n1");
        c.addNode("n4");
        c.isolated.add("n4");
        c.node("n1").changeMembership(new MembershipChange.AddLearner("n4", ""));
        c.stabilize();
        ProposalRejectedException e = assertThrows(ProposalRejectedException.class, () -> c.node("n1")
                .changeMembership(new MembershipChange.Reconfigure(Set.of("n1", "n2", "n4"), Set.of())));
        assertEquals(ProposalRejectedException.Reason.RETRY_LATER, e.reason());
        assertTrue(e.getMessage().contains("n4 has not caught up"), e.getMessage());
        c.isolated.clear();
        c.node("n1").tick();
        c.stabilize();
        c.node("n1").changeMembership(new MembershipChange.Reconfigure(Set.of("n1", "n2", "n4"), Set.of()));
    }

    @Test
    void rejectedChangesGetAnExplicitErrorNeverAnEmptyEntry() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        long last = n1.lastLogIndex();
        assertRejected(n1, new MembershipChange.Reconfigure(Set.of(), Set.of("n4")), ProposalRejectedException.Reason.INVALID,
                "at least one voter");
        assertRejected(n1, new MembershipChange.Reconfigure(Set.of("n1", "n9"), Set.of()),
                ProposalRejectedException.Reason.INVALID, "n9 is not a member");
        assertRejected(n1, new MembershipChange.Reconfigure(Set.of("n1", "n4"), Set.of("n4")),
                ProposalRejectedException.Reason.INVALID, "both as a voter and as a learner");
        assertRejected(n1, new MembershipChange.Reconfigure(Set.of("n1", "n2", "n3"), Set.of("n4", "n5")),
                ProposalRejectedException.Reason.INVALID, "already is");
        assertEquals(last, n1.lastLogIndex(), "nothing was appended");

        n1.changeMembership(TO_N3_N4_N5);
        assertRejected(n1, new MembershipChange.Reconfigure(Set.of("n1", "n2"), Set.of()),
                ProposalRejectedException.Reason.CHANGE_IN_PROGRESS, "not yet committed");
        c.isolated.add("n2"); // C_old,new commits (n1, n3 | n3, n4, n5); hold C_new back from everyone
        c.stabilizeHolding(JointConsensusTest::carriesCNew);
        assertRejected(n1, new MembershipChange.Remove("n4"), ProposalRejectedException.Reason.CHANGE_IN_PROGRESS,
                "not yet committed");
    }

    @Test
    void aSingleServerChangeWaitsForTheJointChangeToEnd() {
        TestCluster c = threeVotersTwoLearners();
        RaftNode n1 = c.node("n1");
        Proposal joint = n1.changeMembership(TO_N3_N4_N5);
        n1.transferLeadership("n2"); // holds the leave back with C_old,new committed
        c.isolated.add("n2");
        c.stabilize();
        assertTrue(n1.commitIndex() >= joint.index() && n1.configuration().isJoint());
        // The transfer blocks changes first; past it, the joint configuration still would.
        assertRejected(n1, new MembershipChange.Remove("n5"), ProposalRejectedException.Reason.RETRY_LATER, "transfer");
    }

    private static void assertRejected(RaftNode leader, MembershipChange change, ProposalRejectedException.Reason reason,
                                       String message) {
        ProposalRejectedException e = assertThrows(ProposalRejectedException.class, () -> leader.changeMembership(change));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void aJointChangeCanReplaceAMajorityIncludingTheLeader() {
        TestCluster c = threeVotersTwoLearners();
        c.node("n1").changeMembership(TO_N3_N4_N5);
        c.stabilize();
        c.tickAll(40);
        RaftNode leader = leaderOf(c);
        assertTrue(Set.of("n3", "n4", "n5").contains(leader.id()), leader.id() + " leads");
        assertEquals(Configuration.ofVoterIds("n3", "n4", "n5"), leader.configuration(), "n1, n2 removed");
        c.isolated.addAll(Set.of("n1", "n2")); // the old majority is gone for good
        long before = leader.commitIndex();
        leader.propose(new byte[] {4});
        c.stabilize();
        assertTrue(leader.commitIndex() > before, "C_new alone commits");
    }
}
