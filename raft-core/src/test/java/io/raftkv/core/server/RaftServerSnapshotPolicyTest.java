package io.raftkv.core.server;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.InMemoryStableStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.transport.LocalNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.raftkv.core.server.RegisterStateMachine.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When snapshots are taken (§7 log compaction): by entry count, by bytes, on demand ({@link RaftServer#takeSnapshot}),
 * and what the status reports about the newest one. One server, in-memory stores.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RaftServerSnapshotPolicyTest {

    private final InMemoryLogStore log = new InMemoryLogStore();
    private final InMemorySnapshotStore snapshots = new InMemorySnapshotStore();
    private final InMemoryStableStore stable = new InMemoryStableStore();

    private RaftServer single(RaftServerOptions options, StateMachine sm) throws IOException {
        RaftServer s = RaftServer.builder("n1")
                .serverOptions(options)
                .logStore(log)
                .stableStore(stable)
                .snapshotStore(snapshots)
                .stateMachine(sm)
                .transport(new LocalNetwork().transport("n1"))
                .bootstrap(Configuration.ofVoterIds("n1"))
                .build();
        s.start();
        return s;
    }

    private static RaftServerOptions options(long everyEntries, long everyBytes) {
        return RaftServerOptions.defaults().withTickInterval(Duration.ofMillis(10))
                .withShutdownTimeout(Duration.ofSeconds(5)).withSnapshots(everyEntries, 2).withSnapshotBytes(everyBytes);
    }

    private static void propose(RaftServer s, String value) throws Exception {
        s.propose(bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static void awaitLeader(RaftServer s) throws InterruptedException {
        ServerTestSupport.await(() -> s.status().isLeader(), 5000, "single server leads");
    }

    private long snapshotIndex() {
        return snapshots.latest().map(SnapshotMeta::lastIncludedIndex).orElse(0L);
    }

    @Test
    void byteThreshold_takesASnapshotOnceTheAppliedPayloadsAddUp_evenWithTheCountTriggerOff() throws Exception {
        try (RaftServer s = single(options(0, 1000), new RegisterStateMachine())) {
            awaitLeader(s);
            String value = "x".repeat(99);
            for (int i = 0; i < 9; i++) { // 891 bytes: below the threshold
                propose(s, value);
            }
            Thread.sleep(100);
            assertEquals(0, snapshotIndex(), "no snapshot below 1000 bytes");
            propose(s, value); // 990
            propose(s, value); // 1089: crossed
            ServerTestSupport.await(() -> snapshotIndex() > 0, 5000, "snapshot after 1000 bytes");
            long at = snapshotIndex();
            assertTrue(at >= 12, "covers the 11 commands after the leader's no-op: " + at);
            ServerTestSupport.await(() -> log.firstIndex() > 1, 5000, "log compacted behind it");
        }
    }

    @Test
    void countThreshold_stillTriggersWithTheByteTriggerOff() throws Exception {
        try (RaftServer s = single(options(5, 0), new RegisterStateMachine())) {
            awaitLeader(s);
            for (int i = 0; i < 6; i++) {
                propose(s, "v" + i);
            }
            ServerTestSupport.await(() -> snapshotIndex() >= 5, 5000, "snapshot after 5 entries");
        }
    }

    @Test
    void onDemand_writesADurableSnapshot_compactsTheLog_andTheStatusNamesIt() throws Exception {
        try (RaftServer s = single(options(0, 0), new RegisterStateMachine())) {
            awaitLeader(s);
            for (int i = 0; i < 10; i++) {
                propose(s, "v" + i);
            }
            assertNull(s.status().lastSnapshot(), "no snapshot yet");
            Thread.sleep(50);
            assertEquals(0, snapshotIndex(), "both triggers off: no automatic snapshot");
            SnapshotInfo info = s.takeSnapshot().get(10, TimeUnit.SECONDS);
            assertEquals(11, info.index(), "no-op + 10 commands");
            assertEquals(SnapshotInfo.Origin.TAKEN, info.origin());
            assertTrue(info.bytes() > 0);
            assertNotNull(info.completedAt());
            assertNotNull(info.duration());
            assertEquals(11, snapshotIndex(), "durable in the store when the future completes");
            ServerTestSupport.await(() -> log.firstIndex() == 11 - 2 + 1, 5000, "log compacted, 2 trailing kept");
            ServerTestSupport.await(() -> info.equals(s.status().lastSnapshot()), 5000, "status shows it");
            ServerTestSupport.await(() -> s.status().lastSnapshotIndex() == 11, 5000, "status index");

            ExecutionException again = assertThrows(ExecutionException.class,
                    () -> s.takeSnapshot().get(10, TimeUnit.SECONDS));
            SnapshotRejectedException rejected = assertInstanceOf(SnapshotRejectedException.class, again.getCause());
            assertEquals(SnapshotRejectedException.Reason.UP_TO_DATE, rejected.reason());

            propose(s, "more");
            assertEquals(12, s.takeSnapshot().get(10, TimeUnit.SECONDS).index());
        }
    }

    @Test
    void onDemand_whileOneIsBeingWritten_isRefusedAsInProgress_andApplyingContinues() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RegisterStateMachine register = new RegisterStateMachine();
        StateMachine slowSnapshots = new StateMachine() {
            @Override
            public byte[] apply(long index, byte[] command) {
                return register.apply(index, command);
            }

            @Override
            public byte[] query(byte[] request) {
                return register.query(request);
            }

            @Override
            public long lastAppliedIndex() {
                return register.lastAppliedIndex();
            }

            @Override
            public Snapshot snapshot() {
                Snapshot captured = register.snapshot();
                return out -> {
                    writing.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    captured.writeTo(out);
                };
            }

            @Override
            public void restore(long lastIncludedIndex, InputStream in) throws IOException {
                register.restore(lastIncludedIndex, in);
            }
        };
        try (RaftServer s = single(options(0, 0), slowSnapshots)) {
            awaitLeader(s);
            propose(s, "a");
            CompletableFuture<SnapshotInfo> first = s.takeSnapshot();
            assertTrue(writing.await(5, TimeUnit.SECONDS), "writer started");
            propose(s, "b"); // applies go on while the snapshot is written
            ExecutionException busy = assertThrows(ExecutionException.class,
                    () -> s.takeSnapshot().get(10, TimeUnit.SECONDS));
            assertEquals(SnapshotRejectedException.Reason.IN_PROGRESS,
                    ((SnapshotRejectedException) busy.getCause()).reason());
            release.countDown();
            assertEquals(2, first.get(10, TimeUnit.SECONDS).index(), "no-op + a");
            assertEquals(3, s.takeSnapshot().get(10, TimeUnit.SECONDS).index(), "then b");
        }
    }

    @Test
    void aWriteRate_pacesTheSnapshotWriterWhileTheLogIsBusy() throws Exception {
        try (RaftServer s = single(options(0, 0).withSnapshotWriteRate(1_000_000), new RegisterStateMachine())) {
            awaitLeader(s);
            String value = "x".repeat(1000);
            for (int i = 0; i < 1200; i++) { // ~1.2 MB of state
                s.propose(bytes(value));
            }
            propose(s, "last");
            CompletableFuture<SnapshotInfo> taken = s.takeSnapshot();
            // Pacing applies while the log is busy (LogActivity): keep writing until the snapshot is done.
            for (int i = 0; !taken.isDone() && i < 1500; i++) {
                propose(s, "busy");
                Thread.sleep(10);
            }
            SnapshotInfo info = taken.get(30, TimeUnit.SECONDS);
            assertTrue(info.bytes() > 1_200_000, "size " + info.bytes());
            // A lower bound only (pacing sleeps at least this long); how fast it goes otherwise is not asserted.
            // Two 256 KiB steps may go unpaced: the first, and one that finds the log idle if this machine held
            // the proposing thread off its core for 200 ms.
            assertTrue(info.duration().toMillis() >= (info.bytes() - (512 << 10)) / 1000,
                    info.bytes() + " bytes at 1 MB/s took only " + info.duration().toMillis() + " ms");
        }
    }

    @Test
    void onDemand_afterClose_failsWithShutdown() throws Exception {
        RaftServer s = single(options(0, 0), new RegisterStateMachine());
        awaitLeader(s);
        s.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> s.takeSnapshot().get(5, TimeUnit.SECONDS));
        assertInstanceOf(ShutdownException.class, e.getCause());
    }

    @Test
    void aRestartedServer_reportsTheSnapshotItLoaded() throws Exception {
        try (RaftServer s = single(options(0, 0), new RegisterStateMachine())) {
            awaitLeader(s);
            propose(s, "a");
            s.takeSnapshot().get(10, TimeUnit.SECONDS);
        }
        try (RaftServer again = single(options(0, 0), new RegisterStateMachine())) {
            ServerTestSupport.await(() -> again.status().lastSnapshot() != null, 5000, "status after restart");
            SnapshotInfo loaded = again.status().lastSnapshot();
            assertEquals(SnapshotInfo.Origin.LOADED, loaded.origin());
            assertEquals(2, loaded.index());
            assertTrue(loaded.bytes() > 0);
        }
    }
}
