package io.raftkv.core;

import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per rule of the Raft paper and Ongaro's thesis, named after the rule (in the spirit of etcd's
 * raft_paper_test.go). Messages are delivered by hand so each test shows exactly the exchange the rule governs.
 */
class RaftPaperTest {

    private static final RaftOptions NO_PREVOTE = RaftOptions.defaults().withPreVote(false);

    // ---------------------------------------------------------------- §5.1 terms

    @Test
    void followerAdoptsHigherTermFromAnyMessage() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        c.node("n1").step(new AppendEntriesRequest("n2", "n1", 5, 0, 0, List.of(), 0, 0));
        assertEquals(5, c.node("n1").currentTerm());
        assertEquals("n2", c.node("n1").leaderId());
    }

    @Test
    void followerRejectsAppendEntriesWhoseTermIsStale() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        c.node("n1").step(new AppendEntriesRequest("n2", "n1", 5, 0, 0, List.of(), 0, 0));
        c.take(m -> true);
        c.node("n1").step(new AppendEntriesRequest("n3", "n1", 4, 0, 0, List.of(LogEntry.command(1, 4, new byte[] {1})), 0, 0));
        List<RaftMessage> replies = c.take(m -> m instanceof AppendEntriesResponse);
        assertEquals(1, replies.size());
        AppendEntriesResponse r = (AppendEntriesResponse) replies.get(0);
        assertFalse(r.success());
        assertEquals(5, r.term(), "the reply carries the newer term so the stale leader steps down");
        assertEquals(0, c.node("n1").lastLogIndex());
    }

    @Test
    void leaderStepsDownWhenItSeesAHigherTerm() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        long term = leader.currentTerm();
        leader.step(AppendEntriesResponse.staleTerm("n2", "n1", term + 1, 0, 0, 0));
        assertEquals(Role.FOLLOWER, leader.role());
        assertEquals(term + 1, leader.currentTerm());
    }

    // ---------------------------------------------------------------- §5.2 leader election

    @Test
    void followerStartsElectionAfterElectionTimeout() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode n1 = c.node("n1");
        for (int i = 0; i < 2 * c.options.electionTimeoutTicks(); i++) {
            n1.tick();
        }
        assertEquals(Role.CANDIDATE, n1.role());
        assertEquals(1, n1.currentTerm());
        assertEquals("n1", n1.hardState().votedFor(), "a candidate votes for itself");
        List<RaftMessage> requests = c.take(m -> m instanceof VoteRequest);
        assertEquals(2, requests.size(), "it requests votes from every other voter");
    }

    @Test
    void electionTimeoutIsRandomizedWithinOneToTwoTimeouts() {
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        int t = RaftOptions.defaults().electionTimeoutTicks();
        for (int seed = 0; seed < 50; seed++) {
            RaftNode n = new RaftNode("n1", NO_PREVOTE, new io.raftkv.core.storage.InMemoryLogStore(),
                    io.raftkv.core.storage.HardState.INITIAL, io.raftkv.core.storage.SnapshotMeta.NONE,
                    io.raftkv.core.cluster.Configuration.ofVoterIds("n1", "n2", "n3"), new java.util.Random(seed));
            int ticks = 0;
            while (n.role() == Role.FOLLOWER) {
                n.tick();
                ticks++;
            }
            assertTrue(ticks >= t && ticks < 2 * t, "timeout " + ticks + " outside [T, 2T)");
            seen.add(ticks);
        }
        assertTrue(seen.size() > 3, "timeouts must vary: " + seen);
    }

    @Test
    void candidateWinsWithVotesFromAMajority() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3", "n4", "n5");
        c.isolated.add("n4");
        c.isolated.add("n5");
        c.node("n1").campaign();
        c.stabilize();
        assertEquals(Role.LEADER, c.node("n1").role(), "3 of 5 votes is a majority");
    }

    @Test
    void candidateDoesNotWinWithoutAMajority() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3", "n4", "n5");
        c.isolated.add("n3");
        c.isolated.add("n4");
        c.isolated.add("n5");
        c.node("n1").campaign();
        c.stabilize();
        assertEquals(Role.CANDIDATE, c.node("n1").role());
    }

    @Test
    void voterGrantsAtMostOneVotePerTerm() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode n3 = c.node("n3");
        n3.step(new VoteRequest("n1", "n3", 1, 0, 0, false, false));
        n3.step(new VoteRequest("n2", "n3", 1, 0, 0, false, false));
        List<RaftMessage> replies = c.take(m -> m instanceof VoteResponse);
        assertTrue(((VoteResponse) replies.get(0)).granted());
        assertFalse(((VoteResponse) replies.get(1)).granted(), "second candidate of the same term is refused");
        assertEquals("n1", n3.hardState().votedFor());
    }

    @Test
    void voteIsPersistedBeforeTheReplyLeaves() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode n3 = c.node("n3");
        n3.step(new VoteRequest("n1", "n3", 1, 0, 0, false, false));
        Ready rd = n3.ready();
        assertNotNull(rd.hardState(), "the vote must be persisted");
        assertEquals("n1", rd.hardState().votedFor());
        assertTrue(rd.earlyMessages().isEmpty(), "nothing may leave before the vote is durable");
        assertTrue(rd.messages().stream().anyMatch(m -> m instanceof VoteResponse v && v.granted()));
        n3.advance(rd);
    }

    @Test
    void candidateStepsDownWhenAnotherLeaderOfItsTermAppends() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        c.node("n1").campaign();
        c.take(m -> true);
        long term = c.node("n1").currentTerm();
        c.node("n1").step(new AppendEntriesRequest("n2", "n1", term, 0, 0, List.of(), 0, 0));
        assertEquals(Role.FOLLOWER, c.node("n1").role());
        assertEquals("n2", c.node("n1").leaderId());
    }

    // ---------------------------------------------------------------- §5.4.1 election restriction

    @Test
    void voterRejectsCandidateWhoseLogIsLessUpToDate() {
        TestCluster c = new TestCluster(NO_PREVOTE.withCheckQuorum(false), "n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        // n3 has entries of term 1 up to index 2; a candidate with an empty log must not get its vote.
        c.node("n3").step(new VoteRequest("n2", "n3", 5, 0, 0, false, false));
        VoteResponse r = (VoteResponse) c.take(m -> m instanceof VoteResponse).get(0);
        assertFalse(r.granted());
        // ... while a candidate whose last term is higher wins it even with a shorter log.
        c.node("n3").step(new VoteRequest("n2", "n3", 6, 1, 5, false, false));
        r = (VoteResponse) c.take(m -> m instanceof VoteResponse).get(0);
        assertTrue(r.granted());
    }

    // ---------------------------------------------------------------- thesis §9.6 pre-vote, §6.2 check-quorum

    @Test
    void preVoteDoesNotIncrementAnyTerm() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.isolated.add("n2");
        c.isolated.add("n3");
        for (int i = 0; i < 100; i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        assertEquals(Role.PRE_CANDIDATE, c.node("n1").role());
        assertEquals(0, c.node("n1").currentTerm(), "a server that cannot win never bumps its term");
    }

    @Test
    void preVoteWinnerThenRunsARealElection() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        assertEquals(1, c.node("n1").currentTerm());
        assertEquals(1, c.node("n2").currentTerm());
    }

    @Test
    void followerThatHeardFromALeaderIgnoresVoteRequests() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.tickAll(30);
        RaftNode leader = c.nodes.values().stream().filter(n -> n.role() == Role.LEADER).findFirst().orElseThrow();
        String follower = c.nodes.keySet().stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
        String other = c.nodes.keySet().stream().filter(id -> !id.equals(leader.id()) && !id.equals(follower)).findFirst().orElseThrow();
        long term = c.node(follower).currentTerm();
        c.node(follower).step(new VoteRequest(other, follower, term + 1, 100, term, false, false));
        assertTrue(c.take(m -> m instanceof VoteResponse).isEmpty(), "leader stickiness: no answer at all");
        assertEquals(term, c.node(follower).currentTerm(), "and no term change");
    }

    @Test
    void leaderWithoutQuorumStepsDown() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.isolated.add("n2");
        c.isolated.add("n3");
        for (int i = 0; i < 2 * c.options.electionTimeoutTicks() + 1; i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        assertEquals(Role.FOLLOWER, c.node("n1").role());
    }

    @Test
    void leaderWithQuorumStaysLeader() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.isolated.add("n3");
        for (int i = 0; i < 5 * c.options.electionTimeoutTicks(); i++) {
            c.node("n1").tick();
            c.stabilize();
        }
        assertEquals(Role.LEADER, c.node("n1").role());
    }

    // ---------------------------------------------------------------- §5.3 log replication

    @Test
    void newLeaderAppendsANoopOfItsTerm() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        LogEntry first = leader.logEntry(1);
        assertEquals(EntryType.NOOP, first.type());
        assertEquals(leader.currentTerm(), first.term());
        assertEquals(1, leader.commitIndex(), "the no-op commits once a majority stores it");
    }

    @Test
    void leaderSendsAppendEntriesBeforeItsOwnFsync() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        leader.propose(new byte[] {7});
        Ready rd = leader.ready();
        assertEquals(1, rd.entries().size(), "the entry must be persisted");
        assertTrue(rd.earlyMessages().stream().anyMatch(m -> m instanceof AppendEntriesRequest a && !a.entries().isEmpty()),
                "thesis §10.2.1: replication starts before the leader's own fsync");
        // Both followers acknowledge before the leader's fsync completes: a majority without the leader.
        rd.earlyMessages().forEach(m -> c.node(m.to()).step(m));
        c.processReadiesExcept("n1");
        c.take(m -> m.to().equals("n1")).forEach(leader::step);
        assertEquals(2, leader.commitIndex(), "two followers are a majority of three even before the leader syncs");
        c.persist("n1", rd);
        leader.advance(rd);
    }

    @Test
    void singleVoterCountsItselfOnlyAfterItsFsync() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1");
        RaftNode n1 = c.elect("n1");
        long commit = n1.commitIndex();
        n1.propose(new byte[] {1});
        Ready rd = n1.ready();
        assertEquals(commit, n1.commitIndex(), "not committed before the entry is durable");
        c.persist("n1", rd);
        n1.advance(rd);
        assertEquals(commit + 1, n1.commitIndex());
    }

    @Test
    void followerRejectsAppendEntriesWhenPrevLogDoesNotMatchAndReturnsConflictHint() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode f = c.node("n2");
        f.step(new AppendEntriesRequest("n1", "n2", 2, 0, 0, List.of(
                LogEntry.command(1, 1, new byte[] {1}), LogEntry.command(2, 1, new byte[] {2}),
                LogEntry.command(3, 2, new byte[] {3})), 0, 0));
        c.take(m -> true);
        f.step(new AppendEntriesRequest("n1", "n2", 3, 3, 3, List.of(), 0, 0));
        AppendEntriesResponse r = (AppendEntriesResponse) c.take(m -> m instanceof AppendEntriesResponse).get(0);
        assertFalse(r.success());
        assertEquals(3, r.rejectedIndex());
        assertEquals(2, r.conflictTerm(), "the term of the follower's entry at prevLogIndex");
        assertEquals(3, r.conflictIndex(), "the first index the follower holds with that term");
        f.step(new AppendEntriesRequest("n1", "n2", 3, 7, 3, List.of(), 0, 0));
        r = (AppendEntriesResponse) c.take(m -> m instanceof AppendEntriesResponse).get(0);
        assertEquals(0, r.conflictTerm(), "a log that is too short has no conflicting term");
        assertEquals(4, r.conflictIndex(), "resume right after the follower's last entry");
    }

    @Test
    void followerDeletesConflictingSuffixAndAppendsNewEntries() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode f = c.node("n2");
        f.step(new AppendEntriesRequest("n1", "n2", 1, 0, 0, List.of(
                LogEntry.command(1, 1, new byte[] {1}), LogEntry.command(2, 1, new byte[] {2}),
                LogEntry.command(3, 1, new byte[] {3})), 0, 0));
        c.processReadies();
        f.step(new AppendEntriesRequest("n3", "n2", 2, 1, 1, List.of(LogEntry.command(2, 2, new byte[] {9})), 0, 0));
        c.processReadies();
        assertEquals(2, f.lastLogIndex(), "the conflicting suffix (2 and 3 of term 1) is gone");
        assertEquals(2, f.logTerm(2));
        assertEquals(2, c.logs.get("n2").lastIndex(), "and the store was truncated before the append");
        assertEquals(2, c.logs.get("n2").term(2));
    }

    @Test
    void followerIgnoresStaleDuplicateThatWouldTruncateMatchingEntries() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode f = c.node("n2");
        f.step(new AppendEntriesRequest("n1", "n2", 1, 0, 0, List.of(
                LogEntry.command(1, 1, new byte[] {1}), LogEntry.command(2, 1, new byte[] {2})), 0, 0));
        c.processReadies();
        f.step(new AppendEntriesRequest("n1", "n2", 1, 0, 0, List.of(LogEntry.command(1, 1, new byte[] {1})), 0, 0));
        c.processReadies();
        assertEquals(2, f.lastLogIndex(), "an old, shorter request never removes entries that match");
    }

    @Test
    void followerCommitsNoFurtherThanTheLastNewEntry() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode f = c.node("n2");
        f.step(new AppendEntriesRequest("n1", "n2", 1, 0, 0, List.of(
                LogEntry.command(1, 1, new byte[] {1}), LogEntry.command(2, 1, new byte[] {2})), 9, 0));
        assertEquals(2, f.commitIndex(), "§5.3 rule 5: min(leaderCommit, index of last new entry)");
    }

    @Test
    void leaderBacktracksAWholeConflictingTermInOneRoundTrip() {
        TestCluster c = new TestCluster(NO_PREVOTE.withCheckQuorum(false), "n1", "n2", "n3");
        // n1 and n3 hold 1..20 of term 1; n2 holds 1..5 of term 1 and then 45 entries of a stale term 2.
        List<LogEntry> shared = new java.util.ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            shared.add(LogEntry.command(i, 1, new byte[] {(byte) i}));
        }
        List<LogEntry> diverged = new java.util.ArrayList<>(shared.subList(0, 5));
        for (int i = 6; i <= 50; i++) {
            diverged.add(LogEntry.command(i, 2, new byte[] {(byte) -i}));
        }
        c.node("n1").step(new AppendEntriesRequest("n2", "n1", 1, 0, 0, shared, 0, 0));
        c.node("n3").step(new AppendEntriesRequest("n2", "n3", 1, 0, 0, shared, 0, 0));
        c.node("n2").step(new AppendEntriesRequest("n3", "n2", 2, 0, 0, diverged, 0, 0));
        c.processReadies();
        c.take(m -> true);
        c.isolated.add("n2");
        c.elect("n1");
        c.isolated.clear();
        c.delivered.clear();
        for (int round = 0; round < 5; round++) {
            c.node("n1").tick(); // a heartbeat interval: the probe lost while n2 was isolated is retried
            c.stabilize();
        }
        assertEquals(c.node("n1").lastLogIndex(), c.node("n2").lastLogIndex());
        assertEquals(c.node("n1").currentTerm(), c.node("n2").logTerm(c.node("n2").lastLogIndex()));
        assertEquals(1, c.node("n2").logTerm(20), "the stale term-2 suffix was replaced");
        long rejections = c.delivered.stream()
                .filter(m -> m instanceof AppendEntriesResponse r && r.from().equals("n2") && !r.success()).count();
        assertEquals(1, rejections, "the conflict hint skips the whole stale term at once, not one index per round trip");
    }

    // ---------------------------------------------------------------- §5.4.2 commitment

    @Test
    void leaderCommitsOnlyCurrentTermEntriesByCounting() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        // Figure 8: n1 led term 1 and got entry 1 (term 1) onto n2 only... then lost leadership.
        c.node("n1").step(new AppendEntriesRequest("n3", "n1", 1, 0, 0, List.of(LogEntry.command(1, 1, new byte[] {1})), 0, 0));
        c.processReadies();
        c.take(m -> true);
        // n1 becomes leader of a later term; before its no-op is replicated, n2 acknowledges the old entry.
        c.node("n1").campaign();
        List<RaftMessage> voteRequests = c.take(m -> m instanceof VoteRequest);
        voteRequests.stream().filter(m -> m.to().equals("n2")).forEach(m -> c.node("n2").step(m));
        c.take(m -> m instanceof VoteResponse).forEach(m -> c.node("n1").step(m));
        RaftNode leader = c.node("n1");
        assertEquals(Role.LEADER, leader.role());
        long term = leader.currentTerm();
        c.processReadies();
        c.take(m -> true);
        // n2 reports it matches up to index 1 (the old-term entry) but not yet the no-op at index 2.
        leader.step(AppendEntriesResponse.accept("n2", "n1", term, 1, 1, 0));
        assertEquals(0, leader.commitIndex(), "an entry of an earlier term is never committed by counting replicas");
        leader.step(AppendEntriesResponse.accept("n2", "n1", term, 2, 2, 0));
        assertEquals(2, leader.commitIndex(), "committing the current-term no-op commits index 1 indirectly");
    }

    @Test
    void electionSafetyViolationIsDetectedNotIgnored() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        assertThrows(IllegalStateException.class, () -> leader.step(
                new AppendEntriesRequest("n2", "n1", leader.currentTerm(), 0, 0, List.of(), 0, 0)));
    }

    // ---------------------------------------------------------------- thesis §6.4 reads

    @Test
    void readIndexIsAnsweredOnlyAfterAQuorumConfirmsLeadership() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        leader.readIndex(77);
        c.processReadies();
        assertTrue(c.reads.get("n1").isEmpty(), "not before the heartbeat round is acknowledged");
        c.stabilize();
        assertEquals(List.of(new ReadState(77, leader.commitIndex(), true)), c.reads.get("n1"));
    }

    @Test
    void readsArrivingTogetherShareOneHeartbeatRound() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        c.delivered.clear();
        for (long id = 1; id <= 50; id++) {
            leader.readIndex(id);
        }
        c.stabilize();
        assertEquals(50, c.reads.get("n1").size());
        assertTrue(c.reads.get("n1").stream().allMatch(ReadState::success));
        long heartbeats = c.delivered.stream().filter(m -> m instanceof AppendEntriesRequest).count();
        assertEquals(2, heartbeats, "one round to the two followers confirms all 50 reads");
    }

    @Test
    void isolatedLeaderCannotAnswerReadIndex() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        c.isolated.add("n2");
        c.isolated.add("n3");
        leader.readIndex(5);
        c.stabilize();
        assertTrue(c.reads.get("n1").isEmpty());
    }

    @Test
    void newLeaderDefersReadIndexUntilItsNoopCommits() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        c.node("n1").campaign();
        c.take(m -> m instanceof VoteRequest).forEach(m -> c.node(m.to()).step(m));
        c.take(m -> m instanceof VoteResponse).forEach(m -> c.node("n1").step(m));
        assertEquals(Role.LEADER, c.node("n1").role());
        c.node("n1").readIndex(1);
        c.processReadies();
        assertTrue(c.reads.get("n1").isEmpty());
        c.stabilize();
        assertEquals(1, c.reads.get("n1").size());
        assertTrue(c.reads.get("n1").get(0).readIndex() >= 1, "the read index covers the no-op");
    }

    @Test
    void followerObtainsReadIndexFromTheLeader() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        leader.propose(new byte[] {1});
        c.stabilize();
        c.node("n2").readIndex(9);
        c.stabilize();
        assertEquals(List.of(new ReadState(9, leader.commitIndex(), true)), c.reads.get("n2"));
    }

    @Test
    void followerWithoutLeaderFailsReadIndexAtOnce() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        c.node("n2").readIndex(3);
        c.processReadies();
        assertEquals(List.of(new ReadState(3, 0, false)), c.reads.get("n2"));
    }

    @Test
    void leaseHoldsOnlyAfterAQuorumAcknowledgedAHeartbeatAndExpiresWithoutOne() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        assertFalse(leader.leaseValid(), "no heartbeat round acknowledged yet");
        c.tickAll(1);
        assertTrue(leader.leaseValid());
        c.isolated.add("n2");
        c.isolated.add("n3");
        int ticks = 0;
        while (leader.leaseValid() && ticks < 100) {
            leader.tick();
            c.stabilize();
            ticks++;
        }
        assertTrue(ticks < c.options.electionTimeoutTicks(), "the lease is shorter than an election timeout: " + ticks);
    }

    @Test
    void proposalsAtAFollowerNameTheLeader() {
        TestCluster c = new TestCluster(NO_PREVOTE, "n1", "n2", "n3");
        c.elect("n1");
        NotLeaderException e = assertThrows(NotLeaderException.class, () -> c.node("n2").propose(new byte[] {1}));
        assertEquals("n1", e.leaderId());
        assertNull(assertThrows(NotLeaderException.class,
                () -> new TestCluster(NO_PREVOTE, "a", "b", "c").node("a").propose(new byte[0])).leaderId());
    }

    @Test
    void anAcknowledgementOfAnOldTermIsNotSentAfterANewLeaderOverwroteWhatItAcknowledges() {
        TestCluster c = new TestCluster("n1", "n2", "n3", "n4", "n5");
        c.elect("n1");
        RaftNode n2 = c.node("n2");
        long t = n2.currentTerm();
        long last = n2.lastLogIndex();
        long commit = n2.commitIndex();
        // One batch of n2's raft thread: n1's entry (acknowledgement queued until it is durable), then the leader of
        // the next term, whose log has another entry at that index.
        n2.step(new AppendEntriesRequest("n1", "n2", t, last, t, List.of(LogEntry.command(last + 1, t, new byte[] {1})),
                commit, 0));
        n2.step(new AppendEntriesRequest("n3", "n2", t + 1, last, t, List.of(LogEntry.noop(last + 1, t + 1)),
                commit, 0));
        Ready rd = n2.ready();
        for (RaftMessage m : rd.messages()) {
            assertFalse(m instanceof AppendEntriesResponse r && r.to().equals("n1") && r.success(),
                    "n1 would count n2 for an entry n2 no longer holds (§5.4): " + m);
        }
        assertTrue(rd.messages().stream().anyMatch(m -> m instanceof AppendEntriesResponse r && r.to().equals("n3")
                && r.success() && r.matchIndex() == last + 1), "the new leader's entry is acknowledged");
        assertEquals(List.of(LogEntry.noop(last + 1, t + 1)), rd.entries());
    }
}
