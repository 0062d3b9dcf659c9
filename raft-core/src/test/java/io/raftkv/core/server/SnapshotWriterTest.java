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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotWriterTest {
    private static final long TOTAL = 64L << 20;

    /**
     * A paced snapshot (here 64 MiB at 1 MB/s, about a minute) must not hold up closing the server, nor go on
     * writing and committing after it: close abandons it at its next write.
     */
    @Test
    @Timeout(30)
    void closeAbandonsAPacedSnapshotInProgress() throws Exception {
        InMemorySnapshotStore store = new InMemorySnapshotStore();
        RaftMetrics metrics = new RaftMetrics(new SimpleMeterRegistry(), "n1", new Budget(100, 1 << 20), () -> 0L);
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 1_000_000, (meta, info) -> { });
        AtomicLong written = new AtomicLong();
        CountDownLatch started = new CountDownLatch(1);
        StateMachine.Snapshot big = new StateMachine.Snapshot() {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                byte[] chunk = new byte[64 << 10];
                while (written.get() < TOTAL) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                    if (written.get() >= (512 << 10)) {
                        started.countDown();
                    }
                }
            }
        };
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        SnapshotMeta meta = new SnapshotMeta(10, 1, Configuration.ofVoterIds("n1"));
        assertTrue(writer.write(meta, big, System.nanoTime(), (info, error) -> outcome.complete(error)));
        assertTrue(started.await(10, TimeUnit.SECONDS), "the snapshot never got going");

        writer.close(10_000);

        // Without abandoning, close would give up after 10 s with the write still going and no outcome yet.
        Throwable error = outcome.get(1, TimeUnit.SECONDS);
        assertInstanceOf(InterruptedIOException.class, error);
        assertTrue(written.get() < TOTAL, "the whole snapshot was written: " + written.get());
        assertEquals(Optional.empty(), store.latest(), "an abandoned snapshot must not be committed");
        assertTrue(!writer.busy());
    }

    /** A state machine that catches the abandoning exception must not get its half-written snapshot committed. */
    @Test
    @Timeout(30)
    void aSnapshotWhoseSerializerSwallowsTheAbandonIsNotCommitted() throws Exception {
        InMemorySnapshotStore store = new InMemorySnapshotStore();
        RaftMetrics metrics = new RaftMetrics(new SimpleMeterRegistry(), "n1", new Budget(100, 1 << 20), () -> 0L);
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 1_000_000, (meta, info) -> { });
        CountDownLatch started = new CountDownLatch(1);
        StateMachine.Snapshot swallowing = out -> {
            byte[] chunk = new byte[64 << 10];
            try {
                for (long written = 0; written < TOTAL; written += chunk.length) {
                    out.write(chunk);
                    if (written >= (512 << 10)) {
                        started.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the idiom under test: a serializer that stops quietly on a write error
            }
        };
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        assertTrue(writer.write(new SnapshotMeta(10, 1, Configuration.ofVoterIds("n1")), swallowing,
                System.nanoTime(), (info, error) -> outcome.complete(error)));
        assertTrue(started.await(10, TimeUnit.SECONDS), "the snapshot never got going");

        writer.close(10_000);

        assertInstanceOf(InterruptedIOException.class, outcome.get(1, TimeUnit.SECONDS));
        assertEquals(Optional.empty(), store.latest(), "a truncated snapshot was committed");
    }

    @Test
    void aSnapshotAfterCloseIsRefused() throws ExecutionException, InterruptedException {
        InMemorySnapshotStore store = new InMemorySnapshotStore();
        RaftMetrics metrics = new RaftMetrics(new SimpleMeterRegistry(), "n1", new Budget(100, 1 << 20), () -> 0L);
        SnapshotWriter writer = new SnapshotWriter("n1", store, metrics, 0, (meta, info) -> { });
        writer.close(1_000);
        SnapshotMeta meta = new SnapshotMeta(10, 1, Configuration.ofVoterIds("n1"));
        assertTrue(!writer.write(meta, out -> out.write(1), System.nanoTime(), (info, error) -> { }));
    }
}
