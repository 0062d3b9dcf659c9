package io.raftkv.core;

import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.SnapshotMeta;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** §7 log compaction and InstallSnapshot, as far as the core decides them (the bytes move in the driver). */
class SnapshotRulesTest {

    private static void compactLeader(TestCluster c, String id) {
        RaftNode n = c.node(id);
        long index = n.commitIndex();
        SnapshotMeta meta = new SnapshotMeta(index, n.logTerm(index), n.configuration());
        n.compact(meta);
        c.logs.get(id).compactPrefix(index);
        c.logs.get(id).sync();
    }

    /**
     * n1 leads with a compacted log, n3 lags behind it; n1 has just stepped n3's answer to a heartbeat, so it wants
     * to send n3 the snapshot, and its Ready has not been taken yet.
     */
    private static TestCluster leaderWhoseNextReadyAsksForASnapshotForN3() {
        TestCluster c = n3BehindACompactedLeaderN1WhoJustTicked();
        c.processReadies(); // the heartbeats leave
        List<io.raftkv.core.message.RaftMessage> toN3 = new java.util.ArrayList<>(c.inFlight.stream()
                .filter(m -> m.to().equals("n3")).toList());
        c.inFlight.clear();
        toN3.forEach(m -> c.node("n3").step(m));
        c.processReadiesExcept("n1");
        List<io.raftkv.core.message.RaftMessage> answers = new java.util.ArrayList<>(c.inFlight);
        c.inFlight.clear();
        answers.forEach(m -> c.node(m.to()).step(m));
        return c;
    }

    @Test
    void aLeaderThatStepsDownBeforeItsReadyIsTakenSendsNoSnapshot() {
        TestCluster control = leaderWhoseNextReadyAsksForASnapshotForN3();
        assertEquals(List.of("n3"), control.node("n1").ready().snapshotsToSend(), "test setup");

        TestCluster c = leaderWhoseNextReadyAsksForASnapshotForN3();
        RaftNode n1 = c.node("n1");
        long term = n1.currentTerm();
        // In the same batch, the leader of the next term is heard from: n1 is a follower now.
        n1.step(new AppendEntriesRequest("n2", "n1", term + 1, 0, 0, List.of(), 0, 0));
        assertEquals(Role.FOLLOWER, n1.role());
        // A transfer started now would go out stamped with the new term, from a node that does not lead it: its
        // receiver would follow the wrong node, or, if it is that term's leader, stop on an Election Safety check.
        assertEquals(List.of(), n1.ready().snapshotsToSend());
    }

    /** n3 missed five entries that n1 then compacted away; n3 is reachable again and n1 has ticked once. */
    private static TestCluster n3BehindACompactedLeaderN1WhoJustTicked() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.isolated.add("n3");
        for (int i = 0; i < 5; i++) {
            c.node("n1").propose(new byte[] {(byte) i});
        }
        c.stabilize();
        compactLeader(c, "n1");
        c.isolated.clear();
        c.node("n1").tick();
        return c;
    }

    @Test
    void leaderAsksForASnapshotWhenAFollowerNeedsCompactedEntries() {
        TestCluster c = n3BehindACompactedLeaderN1WhoJustTicked();
        c.stabilize();
        assertEquals(List.of("n3"), c.snapshotRequests);
        // The driver streams the snapshot; chunks keep the follower's election timer quiet...
        RaftNode n3 = c.node("n3");
        long term = c.node("n1").currentTerm();
        SnapshotMeta meta = new SnapshotMeta(c.node("n1").snapshotIndex(), term, c.node("n1").configuration());
        n3.step(new InstallSnapshotRequest("n1", "n3", term, meta.lastIncludedIndex(), meta.lastIncludedTerm(),
                meta.configuration(), 0, new byte[10], false));
        assertEquals("n1", n3.leaderId());
        // ...and once it is complete and durable the follower installs it, discarding its shorter log.
        assertTrue(n3.installSnapshot(meta));
        c.processReadies();
        assertTrue(c.installed.get("n3").get(0).discardLog());
        assertEquals(meta.lastIncludedIndex(), n3.commitIndex());
        assertEquals(meta.lastIncludedIndex(), c.logs.get("n3").lastIndex());
        c.node("n1").reportSnapshot("n3", meta.lastIncludedIndex(), true);
        c.node("n1").propose(new byte[] {9});
        c.stabilize();
        c.tickAll(2);
        assertEquals(c.node("n1").lastLogIndex(), n3.lastLogIndex(), "replication resumes after the snapshot");
        assertEquals(c.node("n1").commitIndex(), n3.commitIndex());
    }

    @Test
    void aFollowerCaughtUpByASnapshotGetsNewEntriesAtOnce_notAtTheNextHeartbeat() {
        TestCluster c = n3BehindACompactedLeaderN1WhoJustTicked();
        c.stabilize();
        RaftNode n1 = c.node("n1");
        RaftNode n3 = c.node("n3");
        SnapshotMeta meta = new SnapshotMeta(n1.snapshotIndex(), n1.currentTerm(), n1.configuration());
        assertTrue(n3.installSnapshot(meta));
        c.processReadies();
        n1.reportSnapshot("n3", meta.lastIncludedIndex(), true);
        // The probe after the snapshot, and n3's answer: it holds the log up to the snapshot's index, the match
        // index the report already set. That answers the probe (etcd-io/raft does the same): replicate from here.
        c.stabilize();
        assertTrue(n1.progressDescription().get("n3").startsWith("REPLICATE"), n1.progressDescription().get("n3"));
        n1.propose(new byte[] {9});
        List<io.raftkv.core.message.RaftMessage> toN3 = c.take(m -> m.to().equals("n3"));
        assertEquals(1, toN3.size(), toN3.toString());
        assertEquals(n1.lastLogIndex(), ((AppendEntriesRequest) toN3.get(0)).lastIndex(),
                "the new entry goes to n3 at once");
    }

    @Test
    void aNewServerJoiningACompactedClusterGetsTheSnapshot() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        for (int i = 0; i < 5; i++) {
            c.node("n1").propose(new byte[] {(byte) i});
        }
        c.stabilize();
        compactLeader(c, "n1");
        c.addNode("n4");
        c.node("n1").changeMembership(new io.raftkv.core.cluster.MembershipChange.AddLearner("n4", ""));
        c.stabilize();
        c.node("n1").tick();
        c.stabilize();
        assertTrue(c.snapshotRequests.contains("n4"), "nextIndex 1 is below the first index the leader still has");
    }

    @Test
    void followerWithinTheTrailingMarginCatchesUpFromTheLogWithoutASnapshot() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").propose(new byte[] {0});
        c.stabilize();
        c.isolated.add("n3");
        long n3Last = c.node("n3").lastLogIndex();
        for (int i = 0; i < 5; i++) {
            c.node("n1").propose(new byte[] {(byte) i});
        }
        c.stabilize();
        RaftNode n1 = c.node("n1");
        long index = n1.commitIndex();
        n1.compact(new SnapshotMeta(index, n1.logTerm(index), n1.configuration()));
        c.logs.get("n1").compactPrefix(n3Last - 1); // keep a trailing margin that still covers n3's gap
        c.isolated.clear();
        c.tickAll(3);
        assertTrue(c.snapshotRequests.isEmpty(), "entries below the snapshot still in the log are used");
        assertEquals(n1.lastLogIndex(), c.node("n3").lastLogIndex());
    }

    @Test
    void committedEntriesAreHandedOutNoFurtherThanTheApplyBacklogAllows() {
        TestCluster c = new TestCluster(RaftOptions.defaults().withMaxApplyBacklogEntries(3), "n1");
        c.elect("n1");
        RaftNode n1 = c.node("n1");
        n1.reportApplied(0);
        for (int i = 0; i < 10; i++) {
            n1.propose(new byte[] {(byte) i});
        }
        c.stabilize();
        assertEquals(3, c.applied.get("n1").size(), "only up to applied + 3 while the state machine lags");
        n1.reportApplied(3);
        c.stabilize();
        assertEquals(6, c.applied.get("n1").size());
    }

    @Test
    void installKeepsTheLogSuffixWhenItHoldsTheSnapshotsLastEntry() {
        TestCluster c = new TestCluster(RaftOptions.defaults().withPreVote(false), "n1", "n2", "n3");
        RaftNode f = c.node("n2");
        f.step(new AppendEntriesRequest("n1", "n2", 1, 0, 0, List.of(
                LogEntry.command(1, 1, new byte[] {1}), LogEntry.command(2, 1, new byte[] {2}),
                LogEntry.command(3, 1, new byte[] {3})), 0, 0));
        c.processReadies();
        assertTrue(f.installSnapshot(new SnapshotMeta(2, 1, c.configuration)));
        c.processReadies();
        assertFalse(c.installed.get("n2").get(0).discardLog(), "§7: entries following the snapshot are retained");
        assertEquals(3, f.lastLogIndex());
        assertEquals(2, f.commitIndex());
    }

    @Test
    void staleSnapshotIsIgnored() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        RaftNode f = c.node("n2");
        assertFalse(f.installSnapshot(new SnapshotMeta(1, 1, c.configuration)), "already committed past it");
    }

    @Test
    void compactedNodeRestartsFromSnapshotPlusLog() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        for (int i = 0; i < 5; i++) {
            c.node("n1").propose(new byte[] {(byte) i});
        }
        c.stabilize();
        compactLeader(c, "n1");
        SnapshotMeta meta = new SnapshotMeta(c.node("n1").snapshotIndex(), c.node("n1").logTerm(c.node("n1").snapshotIndex()),
                c.node("n1").configuration());
        RaftNode restarted = new RaftNode("n1", c.options, c.logs.get("n1"), c.stables.get("n1").load(), meta,
                c.configuration, new java.util.Random(7));
        assertEquals(meta.lastIncludedIndex(), restarted.commitIndex(), "commit starts at the snapshot");
        assertEquals(c.node("n1").lastLogIndex(), restarted.lastLogIndex());
        assertEquals(meta.lastIncludedTerm(), restarted.logTerm(meta.lastIncludedIndex()));
    }

    @Test
    void entriesAppendedBetweenTwoInstallsOfOneBatchAreKeptWithTheirAcknowledgement() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.elect("n1");
        c.isolated.add("n3");
        for (int i = 0; i < 10; i++) {
            c.node("n1").propose(new byte[] {(byte) i});
        }
        c.stabilize();
        long term = c.node("n1").currentTerm();
        long last = c.node("n1").lastLogIndex();
        RaftNode n3 = c.node("n3");
        // One batch of n3's raft thread, no Ready taken in between (a stall, then everything at once): the last
        // chunk of snapshot S1 (index 3), the leader's AppendEntries continuing after it, then snapshot S2 (index 8),
        // which the leader took meanwhile and which lies inside those entries.
        n3.step(new InstallSnapshotRequest("n1", "n3", term, 3, term, c.configuration, 0, new byte[1], true));
        assertTrue(n3.installSnapshot(new SnapshotMeta(3, term, c.configuration)));
        n3.step(new AppendEntriesRequest("n1", "n3", term, 3, term,
                c.logs.get("n1").entries(4, last + 1, Long.MAX_VALUE), 5, 0));
        assertTrue(n3.installSnapshot(new SnapshotMeta(8, term, c.configuration)));

        Ready rd = n3.ready();
        assertEquals(8, rd.snapshotToInstall().meta().lastIncludedIndex());
        assertTrue(rd.snapshotToInstall().discardLog(), "the store still holds what S1 discarded: reset to S2");
        List<Long> kept = rd.entries().stream().map(LogEntry::index).toList();
        assertEquals(java.util.stream.LongStream.rangeClosed(9, last).boxed().toList(), kept,
                "the entries after S2 are persisted, not dropped");
        io.raftkv.core.message.AppendEntriesResponse ack = rd.messages().stream()
                .filter(m -> m instanceof io.raftkv.core.message.AppendEntriesResponse)
                .map(m -> (io.raftkv.core.message.AppendEntriesResponse) m).findFirst().orElseThrow();
        assertTrue(ack.success());
        assertEquals(last, ack.matchIndex(), "acknowledged...");
        c.persist("n3", rd);
        n3.advance(rd);
        assertEquals(last, c.logs.get("n3").lastIndex(), "...and durable");
        assertEquals(c.logs.get("n1").entry(last), c.logs.get("n3").entry(last));
    }
}
