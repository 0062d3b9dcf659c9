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

    @Test
    void leaderAsksForASnapshotWhenAFollowerNeedsCompactedEntries() {
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
}
