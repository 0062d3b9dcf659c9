package io.raftkv.core.server;

import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.storage.SnapshotMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static io.raftkv.core.server.RegisterStateMachine.string;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Log compaction and InstallSnapshot (§7) through the driver, on 3 in-process servers. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RaftServerSnapshotTest {

    /** Snapshot every 10 entries, keep 2 behind, 64-byte chunks so that transfers take several round trips. */
    private static RaftServerOptions snapshotting() {
        return RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(50))
                .withReadTimeout(Duration.ofSeconds(1)).withShutdownTimeout(Duration.ofSeconds(5))
                .withSnapshots(10, 2).withSnapshotTransfer(64, Duration.ofSeconds(2));
    }

    private static byte[] await(CompletableFuture<byte[]> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static long snapshotIndex(LocalCluster c, String id) {
        return c.snapshots.get(id).latest().map(SnapshotMeta::lastIncludedIndex).orElse(0L);
    }

    @Test
    void everyServerSnapshots_andCompactsItsLog() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 21, snapshotting()).startAll()) {
            RaftServer leader = c.awaitLeader();
            for (int i = 0; i < 40; i++) {
                await(leader.propose(bytes("v" + i)));
            }
            c.awaitConverged(40, c.ids);
            for (String id : c.ids) {
                ServerTestSupport.await(() -> snapshotIndex(c, id) >= 30, 5000, id + " snapshotted");
                ServerTestSupport.await(() -> c.logs.get(id).firstIndex() > 20, 5000, id + " compacted its log");
                ServerTestSupport.await(() -> c.server(id).status().lastSnapshotIndex() >= 30, 5000, id + " status");
            }
            assertTrue(c.registry.get("raft.snapshot.size").tag("node", leader.id()).summary().count() >= 3);
        }
    }

    @Test
    void restartFromSnapshotPlusLogTail_resumesWithTheSameState() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 22, snapshotting()).startAll()) {
            RaftServer leader = c.awaitLeader();
            for (int i = 0; i < 25; i++) {
                await(leader.propose(bytes("v" + i)));
            }
            c.awaitConverged(25, c.ids);
            // Where each server's last snapshot lands depends on how its applies were batched (a threshold
            // crossed while the writer was busy is taken when it finishes, at whatever is applied then). What is
            // certain is that once applies stop, fewer than `threshold` entries lie past the last snapshot.
            java.util.Map<String, Long> snapshotAt = new java.util.HashMap<>();
            for (String id : c.ids) {
                long applied = c.stateMachines.get(id).lastAppliedIndex();
                ServerTestSupport.await(() -> snapshotIndex(c, id) > applied - 10, 5000, id + " snapshotted");
                snapshotAt.put(id, snapshotIndex(c, id));
            }
            List<String> before = c.stateMachines.get("n1").values();
            for (String id : c.ids) {
                c.stop(id);
            }
            for (String id : c.ids) {
                c.start(id); // fresh state machine: restored from the snapshot, then the log after it
            }
            for (String id : c.ids) {
                assertTrue(c.stateMachines.get(id).lastAppliedIndex() >= snapshotAt.get(id),
                        id + " restored from its snapshot at " + snapshotAt.get(id));
            }
            RaftServer again = c.awaitLeader();
            assertEquals(String.join(",", before), string(await(again.read(bytes("q")))));
            await(again.propose(bytes("after")));
            c.awaitConverged(26, c.ids);
        }
    }

    @Test
    void aFollowerBehindTheCompactedLog_receivesTheSnapshotInChunks_andCatchesUp() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 23, snapshotting()).startAll()) {
            RaftServer leader = c.awaitLeader();
            String lagging = c.followersOf(leader).get(0).id();
            await(leader.propose(bytes("first")));
            c.stop(lagging);
            for (int i = 0; i < 40; i++) {
                await(leader.propose(bytes("v" + i)));
            }
            // The leader no longer holds the entries the lagging follower needs next.
            ServerTestSupport.await(() -> c.logs.get(leader.id()).firstIndex() > c.logs.get(lagging).lastIndex() + 1,
                    5000, "leader compacted past the lagging follower");
            c.start(lagging);
            c.awaitConverged(41, c.ids);
            // Its snapshot store holds the leader's snapshot, or (if the leader's newest was still being written
            // when the transfer began) a later one of its own: either way one at or past 30 comes.
            ServerTestSupport.await(() -> snapshotIndex(c, lagging) >= 30, 5000, "the follower stored a snapshot");
            // The status names the newest snapshot held, and how it got there (installed, or taken after that).
            ServerTestSupport.await(() -> c.server(lagging).status().lastSnapshot() != null
                    && c.server(lagging).status().lastSnapshot().index() == snapshotIndex(c, lagging), 5000,
                    "status names the newest snapshot");
            SnapshotInfo newest = c.server(lagging).status().lastSnapshot();
            assertTrue(newest.origin() == SnapshotInfo.Origin.INSTALLED || newest.origin() == SnapshotInfo.Origin.TAKEN,
                    "status: " + newest);
            assertTrue(c.registry.get("raft.install.snapshot.bytes").tag("node", lagging)
                    .tag("direction", "received").counter().count() > 64, "more than one chunk");
            await(leader.propose(bytes("after")));
            c.awaitConverged(42, c.ids);
        }
    }

    @Test
    void aNewServerJoiningACompactedCluster_getsTheSnapshot() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 25, snapshotting()).startAll()) {
            RaftServer leader = c.awaitLeader();
            for (int i = 0; i < 30; i++) {
                await(leader.propose(bytes("v" + i)));
            }
            ServerTestSupport.await(() -> c.logs.get(leader.id()).firstIndex() > 1, 5000, "leader compacted");
            c.addServer("n4"); // empty log: its first rejection sends the leader's nextIndex for it down to 1
            leader.changeMembership(new io.raftkv.core.cluster.MembershipChange.AddLearner("n4", ""))
                    .get(10, TimeUnit.SECONDS);
            c.awaitConverged(30, c.ids);
            assertTrue(leader.failure().isEmpty(), "leader alive: " + leader.failure());
        }
    }

    /**
     * A torn transfer: the follower is cut off mid-transfer for longer than {@code snapshotTimeout}, so the leader
     * abandons the transfer; once the link is back the leader starts again at offset 0 and the follower, still
     * holding the partial download, names the offset it expects. Nothing before the last acknowledged offset is
     * sent twice (bar the one 0-offset probe chunk), and far less than twice the snapshot crosses the wire.
     */
    @Test
    void aTransferCutOffLongerThanTheTimeout_resumesFromTheAcknowledgedOffset_notFromZero() throws Exception {
        RaftServerOptions options = snapshotting().withSnapshotTransfer(64, Duration.ofMillis(800));
        try (LocalCluster c = new LocalCluster(3, 26, options).startAll()) {
            RaftServer leader = c.awaitLeader();
            String lagging = c.followersOf(leader).get(0).id();
            c.stop(lagging);
            for (int i = 0; i < 40; i++) {
                await(leader.propose(bytes("value-" + "x".repeat(60) + i)));
            }
            ServerTestSupport.await(() -> c.logs.get(leader.id()).firstIndex() > c.logs.get(lagging).lastIndex() + 1,
                    5000, "leader compacted past the lagging follower");
            // A snapshot of everything applied, so that no later one (a threshold crossed while the writer was
            // busy) replaces it mid-transfer: a newer snapshot rightly restarts the transfer, not what is tested.
            snapshotEverythingApplied(leader);
            long size;
            try (var src = c.snapshots.get(leader.id()).openLatest().orElseThrow()) {
                size = src.size();
            }
            assertTrue(size > 20 * 64, "a snapshot of many chunks: " + size);

            java.util.List<Long> offsets = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicInteger chunks = new AtomicInteger();
            long[] cutUntil = {0};
            c.dropIf = m -> {
                boolean touchesLagging = m.to().equals(lagging) || m.from().equals(lagging);
                if (touchesLagging && System.nanoTime() < cutUntil[0]) {
                    return true; // the link is down
                }
                if (m instanceof InstallSnapshotRequest r) {
                    offsets.add(r.offset());
                    if (chunks.incrementAndGet() == 10) {
                        cutUntil[0] = System.nanoTime() + 2_000_000_000L; // 2.5 x the timeout
                        return true;
                    }
                }
                return false;
            };
            c.start(lagging);
            c.awaitConverged(40, c.ids);
            c.dropIf = m -> false;

            int cut = 9; // offsets.get(9) is the chunk lost with the link
            long lostAt = offsets.get(cut);
            assertTrue(lostAt >= 9 * 64, "nine chunks acknowledged before the cut: " + offsets);
            java.util.List<Long> after = offsets.subList(cut + 1, offsets.size());
            assertTrue(after.contains(0L), "the leader gave up and started again at 0: " + offsets);
            for (long o : after) {
                assertTrue(o == 0 || o >= lostAt - 64, "resent bytes the follower had acknowledged: offset " + o
                        + " after losing " + lostAt + "; " + offsets);
            }
            double sent = c.registry.get("raft.install.snapshot.bytes").tag("node", leader.id())
                    .tag("direction", "sent").counter().count();
            assertTrue(sent < 2 * size, "sent " + sent + " bytes for a snapshot of " + size);
            assertEquals(size, (long) c.registry.get("raft.install.snapshot.bytes").tag("node", lagging)
                    .tag("direction", "received").counter().count(), "every byte written once on the follower");
        }
    }

    private static void snapshotEverythingApplied(RaftServer server) throws Exception {
        for (int attempt = 0; attempt < 500; attempt++) {
            try {
                server.takeSnapshot().get(10, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                SnapshotRejectedException r = (SnapshotRejectedException) e.getCause();
                if (r.reason() == SnapshotRejectedException.Reason.UP_TO_DATE) {
                    return;
                }
                Thread.sleep(10); // one is being written: it may not cover everything
            }
        }
        throw new AssertionError("the snapshot writer stayed busy");
    }

    @Test
    void lostChunksAreSentAgainFromTheLastConfirmedOffset() throws Exception {
        try (LocalCluster c = new LocalCluster(3, 24, snapshotting()).startAll()) {
            RaftServer leader = c.awaitLeader();
            String lagging = c.followersOf(leader).get(0).id();
            c.stop(lagging);
            for (int i = 0; i < 40; i++) {
                await(leader.propose(bytes("v" + i)));
            }
            ServerTestSupport.await(() -> c.logs.get(leader.id()).firstIndex() > c.logs.get(lagging).lastIndex() + 1,
                    5000, "leader compacted past the lagging follower");
            // Drop every third chunk on the way.
            AtomicInteger chunks = new AtomicInteger();
            AtomicInteger dropped = new AtomicInteger();
            c.dropIf = m -> m instanceof InstallSnapshotRequest && chunks.incrementAndGet() % 3 == 0
                    && dropped.incrementAndGet() > 0;
            c.start(lagging);
            c.awaitConverged(40, c.ids);
            assertTrue(dropped.get() > 0, "chunks were lost");
            c.dropIf = m -> false;
        }
    }
}
