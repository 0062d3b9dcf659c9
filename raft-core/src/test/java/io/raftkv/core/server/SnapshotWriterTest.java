package io.raftkv.core.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.SnapshotMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotWriterTest {
    /** 64 MiB paced at 1 MB/s: about a minute, far longer than any close may wait. */
    private static final long TOTAL = 64L << 20;
    private static final long PACE = 1_000_000;
    private static final SnapshotMeta META = new SnapshotMeta(10, 1, Configuration.ofVoterIds("n1"));
    /** A log that syncs all the time (a steady write load): snapshots are paced. */
    private static final LogActivity BUSY = new LogActivity() {
        @Override
        boolean busy(long nowNanos) {
            return true;
        }
    };

    private final InMemorySnapshotStore store = new InMemorySnapshotStore();
    private final RaftMetrics metrics =
            new RaftMetrics(new SimpleMeterRegistry(), "n1", new Budget(100, 1 << 20), () -> 0L);
    private final AtomicLong written = new AtomicLong();
    private final CountDownLatch started = new CountDownLatch(1);

    /**
     * A paced snapshot must not hold up closing the server, nor go on writing and committing after it: close
     * abandons it at its next write.
     */
    @Test
    @Timeout(30)
    void closeAbandonsAPacedSnapshotInProgress() throws Exception {
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, PACE, BUSY, (meta, info) -> { });

        // Without abandoning, close would give up after 10 s with the write still going and no outcome yet.
        Throwable error = startThenClose(writer, this::writeChunks).get(1, TimeUnit.SECONDS);

        assertInstanceOf(InterruptedIOException.class, error);
        assertTrue(written.get() < TOTAL, "the whole snapshot was written: " + written.get());
        assertEquals(Optional.empty(), store.latest(), "an abandoned snapshot must not be committed");
        assertFalse(writer.busy());
    }

    /** A state machine that catches the abandoning exception must not get its half-written snapshot committed. */
    @Test
    @Timeout(30)
    void aSnapshotWhoseSerializerSwallowsTheAbandonIsNotCommitted() throws Exception {
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, PACE, BUSY, (meta, info) -> { });
        StateMachine.Snapshot swallowing = out -> {
            try {
                writeChunks(out);
            } catch (IOException ignored) {
                // the idiom under test: a serializer that stops quietly on a write error
            }
        };

        Throwable error = startThenClose(writer, swallowing).get(1, TimeUnit.SECONDS);

        assertInstanceOf(InterruptedIOException.class, error);
        assertEquals(Optional.empty(), store.latest(), "a truncated snapshot was committed");
    }

    @Test
    void aSnapshotAfterCloseIsRefused() {
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 0, BUSY, (meta, info) -> { });
        writer.close(1_000);
        assertFalse(writer.write(META, out -> out.write(1), System.nanoTime(), (info, error) -> { }));
    }

    /** While the log is busy, the snapshot is written no faster than the configured rate. */
    @Test
    @Timeout(30)
    void aSnapshotIsPacedWhileTheLogIsBusy() throws Exception {
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 4_000_000, BUSY, (meta, info) -> { });
        try {
            long nanos = timeToWrite(writer, 2_000_000);
            // 2 MB at 4 MB/s: 0.5 s at least (the first 256 KiB step is free, so allow a little less).
            assertTrue(nanos >= 400_000_000L, "a busy log's snapshot went at " + 2e15 / nanos / 1e6 + " MB/s");
        } finally {
            writer.close(1_000);
        }
    }

    /**
     * While the log is idle (no sync for {@link LogActivity#IDLE_AFTER_NANOS}), nothing waits behind the snapshot's
     * flushes: it is written flat out, so pacing costs nothing on a node without a write load.
     */
    @Test
    @Timeout(30)
    void aSnapshotIsNotPacedWhileTheLogIsIdle() throws Exception {
        LogActivity idle = new LogActivity();
        idle.syncStarting();
        idle.syncEnded(System.nanoTime() - 2 * LogActivity.IDLE_AFTER_NANOS);
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 1_000_000, idle, (meta, info) -> { });
        try {
            long nanos = timeToWrite(writer, 16_000_000);
            // Paced at 1 MB/s this would take 16 s; flat out into memory, well under a second.
            assertTrue(nanos < 8_000_000_000L, "an idle log's snapshot was paced: " + nanos / 1_000_000 + " ms");
        } finally {
            writer.close(1_000);
        }
    }

    @Test
    void aLogIsBusyWhileItSyncsAndForAWhileAfter() {
        LogActivity activity = new LogActivity();
        long t = 1_000_000_000L;
        assertFalse(activity.busy(t), "a log that never synced is idle");
        activity.syncStarting();
        assertTrue(activity.busy(t + 10 * LogActivity.IDLE_AFTER_NANOS), "a stalled sync keeps the log busy");
        activity.syncEnded(t);
        assertTrue(activity.busy(t + LogActivity.IDLE_AFTER_NANOS - 1));
        assertFalse(activity.busy(t + LogActivity.IDLE_AFTER_NANOS));
    }

    /** Writes {@code bytes} in 16 KiB writes through {@code writer}; how long until it was committed. */
    private long timeToWrite(SnapshotWriter writer, long bytes) throws Exception {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        long t0 = System.nanoTime();
        StateMachine.Snapshot snapshot = out -> {
            byte[] chunk = new byte[16 << 10];
            for (long done = 0; done < bytes; done += chunk.length) {
                out.write(chunk);
            }
        };
        assertTrue(writer.write(META, snapshot, t0, (info, error) -> outcome.complete(error)));
        assertEquals(null, outcome.get(20, TimeUnit.SECONDS));
        long nanos = System.nanoTime() - t0;
        assertTrue(store.latest().isPresent(), "the snapshot was not committed");
        return nanos;
    }

    /** Starts writing {@code snapshot}, closes the writer once it is under way; the write's outcome. */
    private CompletableFuture<Throwable> startThenClose(SnapshotWriter writer, StateMachine.Snapshot snapshot)
            throws InterruptedException {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        assertTrue(writer.write(META, snapshot, System.nanoTime(), (info, error) -> outcome.complete(error)));
        assertTrue(started.await(10, TimeUnit.SECONDS), "the snapshot never got going");
        writer.close(10_000);
        return outcome;
    }

    /** The state machine's bytes: 64 KiB chunks up to {@link #TOTAL}; {@link #started} opens after 512 KiB. */
    private void writeChunks(OutputStream out) throws IOException {
        byte[] chunk = new byte[64 << 10];
        while (written.get() < TOTAL) {
            out.write(chunk);
            if (written.addAndGet(chunk.length) >= (512 << 10)) {
                started.countDown();
            }
        }
    }
}
