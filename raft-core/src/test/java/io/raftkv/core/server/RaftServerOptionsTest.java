package io.raftkv.core.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static io.raftkv.core.RecordComponents.differing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The builder, the copy helpers and the named defaults of {@link RaftServerOptions} agree with each other. */
class RaftServerOptionsTest {

    @Test
    void theDefaultsAreTheNamedConstants() {
        RaftServerOptions d = RaftServerOptions.defaults();
        assertEquals(new RaftServerOptions(RaftServerOptions.DEFAULT_TICK_INTERVAL,
                RaftServerOptions.DEFAULT_MAX_PENDING_PROPOSALS, RaftServerOptions.DEFAULT_MAX_PENDING_BYTES,
                RaftServerOptions.DEFAULT_MAX_PENDING_READS, RaftServerOptions.DEFAULT_MAX_QUEUED_MESSAGES,
                RaftServerOptions.DEFAULT_APPLY_BATCH_SIZE, RaftServerOptions.DEFAULT_READ_TIMEOUT,
                RaftServerOptions.DEFAULT_SHUTDOWN_TIMEOUT, RaftServerOptions.DEFAULT_SNAPSHOT_THRESHOLD,
                RaftServerOptions.DEFAULT_SNAPSHOT_TRAILING_ENTRIES, RaftServerOptions.DEFAULT_SNAPSHOT_CHUNK_BYTES,
                RaftServerOptions.DEFAULT_SNAPSHOT_TIMEOUT, RaftServerOptions.DEFAULT_SNAPSHOT_BYTES_THRESHOLD,
                RaftServerOptions.DEFAULT_SNAPSHOT_WRITE_RATE, RaftServerOptions.DEFAULT_SNAPSHOT_CHUNKS_IN_FLIGHT), d);
        assertEquals(Duration.ofMillis(50), d.tickInterval());
        assertEquals(100_000, d.snapshotThreshold());
    }

    @Test
    void toBuilderCopiesEveryOption() {
        RaftServerOptions every = RaftServerOptions.builder().tickInterval(Duration.ofMillis(7)).maxPendingProposals(1)
                .maxPendingBytes(2).maxPendingReads(3).maxQueuedMessages(4).applyBatchSize(5)
                .readTimeout(Duration.ofMillis(6)).shutdownTimeout(Duration.ofMillis(8)).snapshotThreshold(9)
                .snapshotTrailingEntries(10).snapshotChunkBytes(11).snapshotTimeout(Duration.ofMillis(12))
                .snapshotBytesThreshold(13).snapshotWriteBytesPerSecond(14).snapshotChunksInFlight(15).build();
        assertEquals(Set.of(), differing(RaftServerOptions.defaults(), every, false), "every option was set");
        assertEquals(every, every.toBuilder().build());
    }

    @Test
    void eachCopyHelperChangesOnlyItsOptions() {
        RaftServerOptions d = RaftServerOptions.defaults();
        Duration t = Duration.ofMillis(3);
        assertEquals(Set.of("tickInterval"), differing(d, d.withTickInterval(t), true));
        assertEquals(Set.of("maxPendingProposals", "maxPendingBytes"), differing(d, d.withMaxPending(1, 2), true));
        assertEquals(Set.of("maxPendingReads"), differing(d, d.withMaxPendingReads(1), true));
        assertEquals(Set.of("maxQueuedMessages"), differing(d, d.withMaxQueuedMessages(1), true));
        assertEquals(Set.of("applyBatchSize"), differing(d, d.withApplyBatchSize(1), true));
        assertEquals(Set.of("readTimeout"), differing(d, d.withReadTimeout(t), true));
        assertEquals(Set.of("shutdownTimeout"), differing(d, d.withShutdownTimeout(t), true));
        assertEquals(Set.of("snapshotThreshold", "snapshotTrailingEntries"), differing(d, d.withSnapshots(1, 2), true));
        assertEquals(Set.of("snapshotBytesThreshold"), differing(d, d.withSnapshotBytes(1), true));
        assertEquals(Set.of("snapshotWriteBytesPerSecond"), differing(d, d.withSnapshotWriteRate(1), true));
        assertEquals(Set.of("snapshotChunkBytes", "snapshotTimeout"), differing(d, d.withSnapshotTransfer(1, t), true));
        assertEquals(Set.of("snapshotChunkBytes", "snapshotChunksInFlight", "snapshotTimeout"),
                differing(d, d.withSnapshotTransfer(1, 2, t), true));
    }

    @Test
    void buildChecksTheOptions() {
        assertThrows(IllegalArgumentException.class, () -> RaftServerOptions.builder().applyBatchSize(0).build());
        assertThrows(NullPointerException.class, () -> RaftServerOptions.builder().readTimeout(null).build());
    }
}
