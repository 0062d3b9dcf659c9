package io.raftkv.core.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The apply thread on its own, fed the task sequences the raft thread can produce. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ApplyLoopTest {
    private static final Configuration BOOT = Configuration.ofVoterIds("n1", "n2", "n3");
    private static final Configuration C1 = Configuration.ofVoterIds("n1", "n2", "n3", "n4");
    private static final Configuration C2 = Configuration.ofVoterIds("n1", "n2", "n4");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RaftMetrics metrics = new RaftMetrics(registry, "n1", new Budget(100, 1 << 20), () -> 0L);
    private final InMemorySnapshotStore store = new InMemorySnapshotStore();
    private SnapshotWriter writer;
    private Thread thread;

    @AfterEach
    void stop() throws Exception {
        if (thread != null) {
            thread.interrupt();
            thread.join(5000);
        }
        if (writer != null) {
            writer.close(5000);
        }
    }

    private static void write(SnapshotStore store, SnapshotMeta meta, RegisterStateMachine state) throws Exception {
        try (SnapshotStore.Sink sink = store.begin(meta)) {
            sink.stream().write(RegisterStateMachine.snapshotBytes(state));
            sink.commit();
        }
    }

    private static List<LogEntry> entries(long from, long to, long configAt, Configuration config) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i == configAt ? new LogEntry(i, 1, EntryType.CONFIGURATION, config.encode())
                    : LogEntry.command(i, 1, bytes("v" + i)));
        }
        return out;
    }

    @Test
    void entriesCoveredByANewerRestoredSnapshot_doNotTakeItsConfigurationBack() throws Exception {
        // The raft thread queued Restore(S1 at 100), the committed entries 101..130 (a change to C1 at 120), then
        // Restore(S2 at 150, with C2 from a later change). Restoring S1 finds S2 the newest and restores that; the
        // entries 101..130 are then skipped as applied, and must not make the next snapshot record C1.
        RegisterStateMachine leaderState = new RegisterStateMachine();
        for (long i = 1; i <= 150; i++) {
            leaderState.apply(i, bytes("v" + i));
        }
        SnapshotMeta s1 = new SnapshotMeta(100, 1, BOOT);
        SnapshotMeta s2 = new SnapshotMeta(150, 1, C2);
        write(store, s2, leaderState);

        RegisterStateMachine sm = new RegisterStateMachine();
        writer = new SnapshotWriter("n1", store, metrics, 0, new LogActivity(), (meta, info) -> { });
        ApplyLoop loop = new ApplyLoop("n1", sm, new PendingProposals(), metrics, 64, SnapshotMeta.NONE, BOOT, store,
                writer, 0, 0, t -> { });
        thread = new Thread(loop, "raft-apply-test");
        thread.start();
        loop.restore(s1);
        loop.submit(entries(101, 130, 120, C1));
        loop.restore(s2);
        loop.submit(entries(151, 160, -1, null));
        CompletableFuture<SnapshotInfo> taken = new CompletableFuture<>();
        loop.takeSnapshot(taken);
        assertEquals(160, taken.get(10, TimeUnit.SECONDS).index());
        SnapshotMeta written = store.latest().orElseThrow();
        assertEquals(160, written.lastIncludedIndex());
        assertEquals(C2, written.configuration(), "the configuration of the newest snapshot, not of older entries");
    }

    @Test
    void aConfigurationAfterTheSnapshotCounts_evenWhenTheStateMachineHadAlreadyAppliedIt() throws Exception {
        // A state machine that persists itself restarts ahead of the snapshot: entries up to its applied index are
        // skipped, but a configuration among them is still the one in effect.
        RegisterStateMachine sm = new RegisterStateMachine();
        for (long i = 1; i <= 20; i++) {
            sm.apply(i, bytes("v" + i));
        }
        writer = new SnapshotWriter("n1", store, metrics, 0, new LogActivity(), (meta, info) -> { });
        ApplyLoop loop = new ApplyLoop("n1", sm, new PendingProposals(), metrics, 64, new SnapshotMeta(10, 1, BOOT),
                BOOT, store, writer, 0, 0, t -> { });
        thread = new Thread(loop, "raft-apply-test");
        thread.start();
        loop.submit(entries(11, 25, 15, C1));
        CompletableFuture<SnapshotInfo> taken = new CompletableFuture<>();
        loop.takeSnapshot(taken);
        assertEquals(25, taken.get(10, TimeUnit.SECONDS).index());
        assertEquals(C1, store.latest().orElseThrow().configuration());
    }

    @Test
    void aReadWhoseIndexIsNeverApplied_failsAtItsDeadline_evenWithNothingElseArriving() throws Exception {
        writer = new SnapshotWriter("n1", store, metrics, 0, new LogActivity(), (meta, info) -> { });
        ApplyLoop loop = new ApplyLoop("n1", new RegisterStateMachine(), new PendingProposals(), metrics, 64,
                SnapshotMeta.NONE, BOOT, store, writer, 0, 0, t -> { });
        thread = new Thread(loop, "raft-apply-test");
        thread.start();
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        loop.awaitRead(50, new PendingRead(bytes("q"), future, deadline)); // a follower cut off after learning 50
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
        org.junit.jupiter.api.Assertions.assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause());
        org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() - deadline >= 0);
    }
}
