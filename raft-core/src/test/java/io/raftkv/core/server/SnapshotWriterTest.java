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
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, PACE, (meta, info) -> { });

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
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, PACE, (meta, info) -> { });
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
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 0, (meta, info) -> { });
        writer.close(1_000);
        assertFalse(writer.write(META, out -> out.write(1), System.nanoTime(), (info, error) -> { }));
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
